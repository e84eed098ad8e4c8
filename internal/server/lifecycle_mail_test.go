package server_test

import (
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

// TestExpiryReminders: with SMTP, every active Owner gets an e-mail
// (through a real SMTP server) 7 days before a key expires and again 1
// day before, each once however often the lifecycle runs; a key replaced
// by a roll gets none.
func TestExpiryReminders(t *testing.T) {
	f := newMailFixture(t)
	if _, err := f.e.Svc.InviteUser(f.owner.Ctx, "second@acme.example", []string{"owner"}); err != nil {
		t.Fatal(err)
	}
	f.e.Activate(t, f.link(t, "second@acme.example"))
	c := f.e.NewClient(t, f.owner)
	expires := f.e.Clock.Now().Add(8 * 24 * time.Hour)
	gen, err := f.e.Svc.Generate(f.owner.Ctx, keyhouse.Sandbox, c.ClientID, service.KeyRequest{Description: "till", ExpiresAt: &expires})
	if err != nil {
		t.Fatal(err)
	}
	rolled := expires.Add(-time.Hour)
	other, err := f.e.Svc.Generate(f.owner.Ctx, keyhouse.Sandbox, c.ClientID, service.KeyRequest{ExpiresAt: &rolled})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.Svc.RollKey(f.owner.Ctx, keyhouse.Sandbox, c.ClientID, other.KeyID, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	reminders := func() []string { // subjects of the reminders so far, to either Owner
		var out []string
		for _, m := range f.smtp.Messages() {
			p, err := m.Parse()
			if err == nil && strings.Contains(p.Subject, "stops working") {
				out = append(out, m.To[0]+": "+p.Subject)
			}
		}
		return out
	}
	steps := []struct {
		name    string
		advance time.Duration
		want    int
		subject string
	}{
		{"8 days ahead", 0, 0, ""},
		{"7 days ahead", 24 * time.Hour, 2, "stops working in 7 days"},
		{"again", time.Minute, 2, ""},
		{"1 day ahead", 6*24*time.Hour - time.Minute, 4, "stops working in 24 hours"},
		{"again, later", 12 * time.Hour, 4, ""},
	}
	for _, st := range steps {
		f.e.Clock.Add(st.advance)
		if err := f.e.Svc.KeyLifecycle(t.Context()); err != nil {
			t.Fatal(err)
		}
		got := reminders()
		if len(got) != st.want || (st.subject != "" && !strings.HasSuffix(got[len(got)-1], st.subject)) {
			t.Fatalf("%s: reminders %q, want %d, the last ending %q", st.name, got, st.want, st.subject)
		}
	}
	p := f.letter(t, "second@acme.example")
	for _, want := range []string{gen.KeyID, c.ClientID, "till", "http://kh.test/admin/product-configuration/system-settings/api-keys?env=sandbox"} {
		if !strings.Contains(p.Text, want) || !strings.Contains(p.HTML, want) {
			t.Errorf("the reminder lacks %q:\n%s", want, p.Text)
		}
	}
}
