package server

import (
	"net/http"
	"net/url"

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

// keyRow is one key of a client, with its Edit and Delete dialogs.
type keyRow struct {
	*keyhouse.APIKey
	EditHref, DeleteHref string
	Edit, Delete         dialogForm
}

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
	v := &keysView{chrome: c, Env: env}
	for _, e := range keyhouse.Environments {
		v.Tabs = append(v.Tabs, envTab{Title: envTitle(e), Href: keysURL(e, ""), Current: e == env})
	}
	for _, cd := range cs {
		row := &clientRow{ClientDetail: cd, Open: cd.ClientID == open, Href: keysURL(env, cd.ClientID)}
		for _, k := range cd.Keys {
			row.Keys = append(row.Keys, &keyRow{
				APIKey:     k,
				EditHref:   keysURL(env, cd.ClientID, "edit", k.KeyID) + "#edit-" + k.KeyID,
				DeleteHref: keysURL(env, cd.ClientID, "delete", k.KeyID) + "#delete-" + k.KeyID,
			})
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
		v.Init = dialogForm{Open: true, Value: name, Error: keyhouse.ErrorMessage(err)}
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
	gen, err := s.Service.GenerateKey(r.Context(), env, clientID, "")
	if err != nil && !formError(err) {
		return err
	}
	v, verr := s.newKeysView(r, env, clientID)
	if verr != nil {
		return verr
	}
	row := v.client(clientID)
	if err != nil {
		if row == nil {
			return err
		}
		row.Error = keyhouse.ErrorMessage(err)
		return s.render(w, statusOf[keyhouse.ErrorCode(err)], "apikeys.html", v)
	}
	v.Generated = &generatedKey{GeneratedKey: gen, Client: &keyhouse.ClientDetail{Client: &keyhouse.Client{ClientID: clientID}}}
	if row != nil {
		v.Generated.Client = row.ClientDetail
	}
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
	_, err = s.Service.UpdateKeyDescription(r.Context(), env, clientID, keyID, desc)
	if formError(err) {
		v, verr := s.newKeysView(r, env, clientID)
		if verr != nil {
			return verr
		}
		if k := v.key(clientID, keyID); k != nil {
			k.Edit = dialogForm{Open: true, Value: desc, Error: keyhouse.ErrorMessage(err)}
		} else {
			v.Alert = keyhouse.ErrorMessage(err)
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
			k.Delete = dialogForm{Open: true, Value: confirm, Error: keyhouse.ErrorMessage(err)}
		} else {
			v.Alert = keyhouse.ErrorMessage(err)
		}
		return s.render(w, statusOf[keyhouse.ErrorCode(err)], "apikeys.html", v)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, keysURL(env, clientID, "notice", "deleted"), http.StatusSeeOther)
	return nil
}
