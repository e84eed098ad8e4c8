package mail

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"keyhouse"
)

//go:embed templates
var templates embed.FS

// The two parts of every e-mail, parsed once.
var (
	textPart       = texttemplate.Must(texttemplate.ParseFS(templates, "templates/link.txt"))
	htmlPart       = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/link.html"))
	expiryTextPart = texttemplate.Must(texttemplate.ParseFS(templates, "templates/expiry.txt"))
	expiryHTMLPart = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/expiry.html"))
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
	return renderParts(textPart, htmlPart, l)
}

// renderParts executes the text and the HTML template of an e-mail with
// data.
func renderParts(textT *texttemplate.Template, htmlT *htmltemplate.Template, data any) (text, html string, err error) {
	var t, h bytes.Buffer
	if err := textT.Execute(&t, data); err != nil {
		return "", "", err
	}
	if err := htmlT.Execute(&h, data); err != nil {
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

// notice is what the templates of a key's expiry reminder show.
type notice struct {
	Subject, Org, Env, ClientID, KeyID, Description, URL string
	Expires                                              string // "Thursday 3 December 2026, 10:00 UTC"
	In                                                   string // "in 7 days", "in 23 hours"
}

// newNotice is the notice of m.
func newNotice(m *keyhouse.ExpiryMail) *notice {
	d := m.ExpiresAt.Sub(m.SentAt)
	in := "in " + plural(int(d.Hours()), "hour")
	switch {
	case d < time.Hour:
		in = "in less than an hour"
	case d >= 48*time.Hour:
		in = "in " + plural(int(d.Hours()/24), "day")
	}
	return &notice{
		Subject: "An API key of " + m.OrganizationName + " stops working " + in,
		Org:     m.OrganizationName, Env: string(m.Environment), ClientID: m.ClientID, KeyID: m.KeyID,
		Description: m.Description, URL: m.URL, In: in,
		Expires: m.ExpiresAt.UTC().Format("Monday 2 January 2006, 15:04 UTC"),
	}
}

// plural is "1 hour", "23 hours".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// render returns the text and the HTML part of n.
func (n *notice) render() (text, html string, err error) {
	return renderParts(expiryTextPart, expiryHTMLPart, n)
}
