package main

import (
	"errors"

	"keyhouse/internal/mail"
)

// mailFlags registers --smtp-url and --mail-from in fs, into c.
func mailFlags(fs *flagSet, e *env, c *common) {
	fs.StringVar(&c.SMTPURL, "smtp-url", e.def("smtp-url", ""), "e-mail invitation and reset links through this server: smtp://user:password@host:587 (STARTTLS required), smtps://…:465 (TLS), or smtp://localhost:25?tls=none for a relay on this machine; unset, links go to whoever asked for them")
	fs.check("smtp-url", func(v string) error {
		if v == "" {
			return nil
		}
		_, err := mail.ParseURL(v)
		return err
	})
	fs.StringVar(&c.MailFrom, "mail-from", e.def("mail-from", ""), "the From address of keyhouse's e-mails, such as \"Keyhouse <keyhouse@example.com>\" (required with --smtp-url)")
	fs.check("mail-from", func(v string) error {
		if v == "" {
			return nil
		}
		_, err := mail.ParseFrom(v)
		return err
	})
}

// setMailer makes c's mailer from --smtp-url and --mail-from, which go
// together; neither leaves links to whoever asked for them.
func (c *common) setMailer() error {
	switch {
	case c.SMTPURL == "" && c.MailFrom == "":
		return nil
	case c.MailFrom == "":
		return errors.New("--mail-from: required with --smtp-url (the From address of keyhouse's e-mails)")
	case c.SMTPURL == "":
		return errors.New("--smtp-url: required with --mail-from (the server that sends keyhouse's e-mails)")
	}
	srv, err := mail.ParseURL(c.SMTPURL)
	if err != nil {
		return err // checked by Parse already
	}
	m, err := mail.New(mail.Config{Server: srv, From: c.MailFrom})
	if err != nil {
		return err
	}
	c.mailer = m
	return nil
}

// mailServer is --smtp-url without its password, for the log.
func (c *common) mailServer() string {
	srv, err := mail.ParseURL(c.SMTPURL)
	if err != nil {
		return ""
	}
	return srv.String()
}
