package mail

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"keyhouse"
)

//go:embed templates
var templates embed.FS

// The two parts of every e-mail, parsed once.
var (
	textPart = texttemplate.Must(texttemplate.ParseFS(templates, "templates/link.txt"))
	htmlPart = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/link.html"))
)

// letter is what the templates of a link's e-mail show.
type letter struct {
	Subject string
	Reset   bool
	By      string // who asked; "" for the operator
	Org     string
	Roles   string // "Admin and Standard"
	URL     string
	Expires string // "Thursday 3 December 2026, 10:00 UTC"
}

// newLetter is the letter of m.
func newLetter(m *keyhouse.LinkMail) *letter {
	l := &letter{
		Reset: m.Kind == keyhouse.MailPasswordReset, By: m.InvitedBy, Org: m.OrganizationName,
		Roles: roleNames(m.Roles), URL: m.URL, Expires: m.ExpiresAt.UTC().Format("Monday 2 January 2006, 15:04 UTC"),
	}
	l.Subject = "Invitation to join " + m.OrganizationName + " on keyhouse"
	if l.Reset {
		l.Subject = "Set a new keyhouse password for " + m.OrganizationName
	}
	return l
}

// render returns the text and the HTML part of l.
func (l *letter) render() (text, html string, err error) {
	var t, h bytes.Buffer
	if err := textPart.Execute(&t, l); err != nil {
		return "", "", err
	}
	if err := htmlPart.Execute(&h, l); err != nil {
		return "", "", err
	}
	return t.String(), h.String(), nil
}

// roleNames is "Owner", "Admin and Standard", "Owner, Admin and View".
func roleNames(rs keyhouse.Roles) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = strings.ToUpper(string(r[:1])) + string(r[1:])
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
