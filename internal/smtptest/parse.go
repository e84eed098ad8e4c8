package smtptest

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Parsed is a message read as a reader's program would: its header and
// the text and HTML parts of its multipart/alternative body, decoded.
type Parsed struct {
	Header  mail.Header
	Subject string // decoded
	Text    string
	HTML    string
}

// Parse reads m's data.
func (m *Message) Parse() (*Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil, fmt.Errorf("read message: %w", err)
	}
	p := &Parsed{Header: msg.Header}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		return nil, fmt.Errorf("content type %q, want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := r.NextRawPart()
		if err == io.EOF {
			return p, nil
		} else if err != nil {
			return nil, fmt.Errorf("part: %w", err)
		}
		if err := p.add(part); err != nil {
			return nil, err
		}
	}
}

// add decodes one part into p.
func (p *Parsed) add(part *multipart.Part) error {
	var body io.Reader = part
	switch strings.ToLower(part.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(part)
	case "", "7bit", "8bit":
	default:
		return fmt.Errorf("unexpected transfer encoding %q", part.Header.Get("Content-Transfer-Encoding"))
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("part body: %w", err)
	}
	mt, params, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
	if !strings.EqualFold(params["charset"], "utf-8") {
		return fmt.Errorf("part %s charset %q, want UTF-8", mt, params["charset"])
	}
	switch mt {
	case "text/plain":
		p.Text = string(b)
	case "text/html":
		p.HTML = string(b)
	default:
		return fmt.Errorf("unexpected part %q", mt)
	}
	return nil
}
