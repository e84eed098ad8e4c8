package server

import (
	"net/http"
	"net/url"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

// keysPath is the API Keys page, where the Kount 360 menu path puts it.
const keysPath = "/admin/product-configuration/system-settings/api-keys"

// keysView is the API Keys page of one environment: every initialized
// client as an expandable row with its keys, and the dialogs that act on
// them. A dialog the server opens (after a refused form, or a link
// followed without JavaScript) is rendered open; the script opens the
// others in place.
type keysView struct {
	chrome
	Env       keyhouse.Environment
	Tabs      []envTab
	Clients   []*clientRow
	Init      dialogForm    // Initialize client
	Generated *generatedKey // only in the answer to Generate: never from a GET
	// Expiring are the keys that stop working within 7 days (the banner).
	Expiring []*keyRow
	// Expiries are the Generate form's choices, within the
	// organization's maximum lifetime of keys.
	Expiries    []expiryChoice
	MaxLifetime *int
	Graces      []graceChoice // for the Roll dialogs
}

type envTab struct {
	Title, Href string
	Current     bool
}

// clientRow is one client of the page.
type clientRow struct {
	*keyhouse.ClientDetail
	Open  bool   // expanded
	Href  string // the page with this client expanded
	Error string // a refused Generate (the key limit)
	Keys  []*keyRow
}

// keyRow is one key of a client, with its Edit, Roll and Delete dialogs.
type keyRow struct {
	*keyhouse.APIKey
	EditHref, DeleteHref string
	RollHref             string
	Edit, Delete, Roll   dialogForm
	Status               string // "Stops working in 23 hours", "Expired", ""
	ClientName           string
	Addresses            string     // the Edit dialog's allowed addresses, as typed
	Spark                *sparkline // requests per day, the last sparkDays
}

// sparkDays is how many days a key's sparkline shows.
const sparkDays = 14

// dialogForm is the state of one dialog's form: open or not, what was
// typed, and the server's message when it refused.
type dialogForm struct {
	Open         bool
	Value, Error string
}

// generatedKey is a key just generated: the one page that shows its
// secret.
type generatedKey struct {
	*service.GeneratedKey
	Client *keyhouse.ClientDetail
	// Replaces is the key a roll replaced, which stops working at
	// OldKeyExpiresAt; "" for a generated key.
	Replaces        string
	OldKeyExpiresAt *time.Time
}

// keysURL returns the API Keys page of env with client open expanded and
// more query pairs.
func keysURL(env keyhouse.Environment, open string, pairs ...string) string {
	q := url.Values{"env": {string(env)}}
	if open != "" {
		q.Set("open", open)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		q.Set(pairs[i], pairs[i+1])
	}
	return keysPath + "?" + q.Encode()
}

// newKeysView lists env's clients and keys (403 for roles that may not)
// with client open expanded.
func (s *Server) newKeysView(r *http.Request, env keyhouse.Environment, open string) (*keysView, error) {
	c, err := s.signedInChrome(r, "API Keys", "admin", crumbAdmin, crumbProductConfig, crumbSystemSettings, crumbAPIKeys)
	if err != nil {
		return nil, err
	}
	cs, err := s.Service.ListClients(r.Context(), env)
	if err != nil {
		return nil, err
	}
	org, err := s.Service.Organization(r.Context())
	if err != nil {
		return nil, err
	}
	a, err := s.Service.Activity(r.Context(), env, sparkDays)
	if err != nil {
		return nil, err
	}
	v := &keysView{chrome: c, Env: env, MaxLifetime: org.MaxKeyLifetimeDays, Expiries: expiryChoices(org.MaxKeyLifetimeDays), Graces: graceChoices}
	now := s.Service.Now()
	for _, e := range keyhouse.Environments {
		v.Tabs = append(v.Tabs, envTab{Title: envTitle(e), Href: keysURL(e, ""), Current: e == env})
	}
	for _, cd := range cs {
		row := &clientRow{ClientDetail: cd, Open: cd.ClientID == open, Href: keysURL(env, cd.ClientID)}
		for _, k := range cd.Keys {
			kr := &keyRow{
				APIKey:     k,
				EditHref:   keysURL(env, cd.ClientID, "edit", k.KeyID) + "#edit-" + k.KeyID,
				DeleteHref: keysURL(env, cd.ClientID, "delete", k.KeyID) + "#delete-" + k.KeyID,
				RollHref:   keysURL(env, cd.ClientID, "roll", k.KeyID) + "#roll-" + k.KeyID,
				Status:     keyStatus(k, now), ClientName: cd.Name, Addresses: keyhouse.FormatCIDRs(k.AllowedCIDRs),
				Spark: newSparkline(a.Days, a.Keys[k.KeyID]),
			}
			row.Keys = append(row.Keys, kr)
			if expiringSoon(k, now) {
				v.Expiring = append(v.Expiring, kr)
			}
		}
		v.Clients = append(v.Clients, row)
	}
	return v, nil
}

// client returns the row of a client, or nil.
func (v *keysView) client(id string) *clientRow {
	for _, c := range v.Clients {
		if c.ClientID == id {
			return c
		}
	}
	return nil
}

// key returns the row of a key of client, expanding the client, or nil.
func (v *keysView) key(clientID, keyID string) *keyRow {
	c := v.client(clientID)
	if c == nil {
		return nil
	}
	for _, k := range c.Keys {
		if k.KeyID == keyID {
			c.Open = true
			return k
		}
	}
	return nil
}

// queryEnv reads the environment of the page, sandbox by default.
func queryEnv(r *http.Request) (keyhouse.Environment, error) {
	env := r.URL.Query().Get("env")
	if env == "" {
		return keyhouse.Sandbox, nil
	}
	return keyhouse.ParseEnvironment("env", env)
}

func (s *Server) handleKeysPage(w http.ResponseWriter, r *http.Request) error {
	env, err := queryEnv(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v, err := s.newKeysView(r, env, q.Get("open"))
	if err != nil {
		return err
	}
	v.Notice = notices[q.Get("notice")]
	v.Init.Open = q.Get("init") != "" && v.Can.InitClient
	if k := v.key(q.Get("open"), q.Get("edit")); k != nil && v.Can.ManageKeys && !k.Legacy {
		k.Edit = dialogForm{Open: true, Value: deref(k.Description)}
	}
	if k := v.key(q.Get("open"), q.Get("delete")); k != nil && v.Can.ManageKeys {
		k.Delete.Open = true
	}
	if k := v.key(q.Get("open"), q.Get("roll")); k != nil && v.Can.ManageKeys {
		k.Roll.Open = true
	}
	return s.render(w, http.StatusOK, "apikeys.html", v)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// formEnv reads the environment a form acts in.
func formEnv(r *http.Request) (keyhouse.Environment, error) {
	return keyhouse.ParseEnvironment("env", r.PostFormValue("env"))
}

func (s *Server) handleClientInitForm(w http.ResponseWriter, r *http.Request) error {
	env, err := formEnv(r)
	if err != nil {
		return err
	}
	name := r.PostFormValue("name")
	c, err := s.Service.InitClient(r.Context(), env, name)
	if formError(err) {
		v, verr := s.newKeysView(r, env, "")
		if verr != nil {
			return verr
		}
		v.Init = dialogForm{Open: true, Value: name, Error: pageMessage(err)}
		return s.render(w, statusOf[keyhouse.ErrorCode(err)], "apikeys.html", v)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, keysURL(env, c.ClientID, "notice", "initialized"), http.StatusSeeOther)
	return nil
}

// handleKeyGenerateForm generates a key and answers the page with the key in
// an open dialog. It is the only response that holds the secret; the
// script then replaces the address, so that reloading shows the plain
// page (without JavaScript, reloading asks to post again, which would
// make another key, never show this one).
func (s *Server) handleKeyGenerateForm(w http.ResponseWriter, r *http.Request) error {
	env, err := formEnv(r)
	if err != nil {
		return err
	}
	clientID := r.PathValue("client_id")
	expires, err := formExpiry(r, s.Service.Now())
	var gen *service.GeneratedKey
	if err == nil {
		gen, err = s.Service.Generate(r.Context(), env, clientID, service.KeyRequest{ExpiresAt: expires})
	}
	if err != nil && !formError(err) {
		return err
	}
	if err != nil {
		v, verr := s.newKeysView(r, env, clientID)
		if verr != nil {
			return verr
		}
		row := v.client(clientID)
		if row == nil {
			return err
		}
		row.Error = pageMessage(err)
		return s.render(w, statusOf[keyhouse.ErrorCode(err)], "apikeys.html", v)
	}
	return s.renderGenerated(w, r, env, clientID, &generatedKey{GeneratedKey: gen})
}

// renderGenerated answers the page with a new key (generated or rolled)
// in the open dialog that shows its secret once.
func (s *Server) renderGenerated(w http.ResponseWriter, r *http.Request, env keyhouse.Environment, clientID string, g *generatedKey) error {
	v, err := s.newKeysView(r, env, clientID)
	if err != nil {
		return err
	}
	g.Client = &keyhouse.ClientDetail{Client: &keyhouse.Client{ClientID: clientID}}
	if row := v.client(clientID); row != nil {
		g.Client = row.ClientDetail
	}
	v.Generated = g
	v.Clean = keysURL(env, clientID)
	return s.render(w, http.StatusOK, "apikeys.html", v)
}

// handleKeyDescriptionForm saves a description, from the Generate dialog's
// Confirm or from Edit. A refused one comes back in the Edit dialog with
// the server's message next to the field.
func (s *Server) handleKeyDescriptionForm(w http.ResponseWriter, r *http.Request) error {
	env, err := formEnv(r)
	if err != nil {
		return err
	}
	clientID, keyID, desc := r.PathValue("client_id"), r.PathValue("key_id"), r.PostFormValue("description")
	ch, err := formKeyChanges(r, desc)
	if err == nil {
		_, err = s.Service.UpdateKey(r.Context(), env, clientID, keyID, ch)
	}
	if formError(err) {
		v, verr := s.newKeysView(r, env, clientID)
		if verr != nil {
			return verr
		}
		if k := v.key(clientID, keyID); k != nil {
			k.Edit = dialogForm{Open: true, Value: desc, Error: pageMessage(err)}
			k.Addresses = r.PostFormValue("allowed_cidrs")
		} else {
			v.Alert = pageMessage(err)
		}
		return s.render(w, statusOf[keyhouse.ErrorCode(err)], "apikeys.html", v)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, keysURL(env, clientID, "notice", "saved")+"#key-"+keyID, http.StatusSeeOther)
	return nil
}

// handleKeyDeleteForm deletes a key once the typed client ID matches; the
// service checks it (the script only keeps the button disabled until
// then). A mismatch comes back in the Delete dialog with its message.
func (s *Server) handleKeyDeleteForm(w http.ResponseWriter, r *http.Request) error {
	env, err := formEnv(r)
	if err != nil {
		return err
	}
	clientID, keyID, confirm := r.PathValue("client_id"), r.PathValue("key_id"), r.PostFormValue("confirm_client_id")
	err = s.Service.DeleteKey(r.Context(), env, clientID, keyID, confirm)
	if formError(err) {
		v, verr := s.newKeysView(r, env, clientID)
		if verr != nil {
			return verr
		}
		if k := v.key(clientID, keyID); k != nil {
			k.Delete = dialogForm{Open: true, Value: confirm, Error: pageMessage(err)}
		} else {
			v.Alert = pageMessage(err)
		}
		return s.render(w, statusOf[keyhouse.ErrorCode(err)], "apikeys.html", v)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, keysURL(env, clientID, "notice", "deleted"), http.StatusSeeOther)
	return nil
}
