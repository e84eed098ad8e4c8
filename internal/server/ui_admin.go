package server

import (
	"net/http"

	"keyhouse"
)

// dashboardView is the data-received summary, per environment: what every
// role may see.
type dashboardView struct {
	chrome
	Envs []dashboardEnv
}

type dashboardEnv struct {
	Env      keyhouse.Environment
	Title    string
	Clients  []*keyhouse.ClientSummary
	Total    keyhouse.EventSummary
	Events   *barChart // events received per day, per client
	Requests *barChart // requests authenticated with the keys, per day
}

// chartDays is how many days the dashboard's charts show.
const chartDays = 30

func (s *Server) handleDashboardPage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.signedInChrome(r, "Dashboard", "dashboard")
	if err != nil {
		return err
	}
	v := dashboardView{chrome: c}
	v.Notice = notices[r.URL.Query().Get("notice")]
	for _, env := range keyhouse.Environments {
		cs, err := s.Service.Summary(r.Context(), env)
		if err != nil {
			return err
		}
		de := dashboardEnv{Env: env, Title: envTitle(env), Clients: cs}
		for _, c := range cs {
			de.Total.Today += c.Events.Today
			de.Total.Last7Days += c.Events.Last7Days
			de.Total.Total += c.Events.Total
		}
		if len(cs) > 0 {
			if err := s.dashboardCharts(r, &de); err != nil {
				return err
			}
		}
		v.Envs = append(v.Envs, de)
	}
	return s.render(w, http.StatusOK, "dashboard.html", v)
}

// dashboardCharts draws an environment's charts of the last chartDays.
func (s *Server) dashboardCharts(r *http.Request, de *dashboardEnv) error {
	a, err := s.Service.Activity(r.Context(), de.Env, chartDays)
	if err != nil {
		return err
	}
	var events []chartSeries
	requests := chartSeries{Name: "All keys", Values: make([]int64, len(a.Days))}
	for _, c := range de.Clients {
		if vs := a.Events[c.ClientID]; vs != nil {
			events = append(events, chartSeries{Name: c.Name, Values: vs})
		}
		for i, v := range a.Requests[c.ClientID] {
			requests.Values[i] += v
		}
	}
	de.Events = newBarChart("events-"+string(de.Env), "Events received", "event", a.Days, events)
	de.Requests = newBarChart("requests-"+string(de.Env), "Token requests", "request", a.Days, []chartSeries{requests})
	de.Requests.mono()
	return nil
}

// envTitle is an environment as the console names it.
func envTitle(env keyhouse.Environment) string {
	if env == keyhouse.Production {
		return "Production"
	}
	return "Sandbox"
}

// menuView is a page of the Admin menu: groups of links.
type menuView struct {
	chrome
	Lead   string
	Groups []menuGroup
}

type menuGroup struct {
	Title, Href string // Href "" for a heading that is not a page
	Items       []menuItem
}

type menuItem struct {
	Title, Href, Text string
}

var errNoAdmin = keyhouse.Errorf(keyhouse.EFORBIDDEN, "your role does not allow this: the Admin pages are for Owners and Admins")

func (s *Server) handleAdminPage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.signedInChrome(r, "Admin", "admin", crumbAdmin)
	if err != nil {
		return err
	}
	v := menuView{chrome: c, Lead: "Manage how your organization's integrations connect, who can sign in, and what happened."}
	if c.Can.ViewKeys {
		v.Groups = append(v.Groups, menuGroup{Title: "Product Configuration", Href: crumbProductConfig.Href, Items: []menuItem{
			{"System Settings", crumbSystemSettings.Href, "API keys for product integrations, per environment."},
		}})
	}
	var org []menuItem
	if c.Can.ManageUsers {
		org = append(org, menuItem{"Users", "/admin/users", "Invite people, change their roles, remove them or reset their passwords."})
	}
	if c.Can.Audit {
		org = append(org, menuItem{"Security audit", "/admin/audit", "Every sign-in and change, with filters and CSV export."})
	}
	if len(org) > 0 {
		v.Groups = append(v.Groups, menuGroup{Title: "Organization", Items: org})
	}
	if len(v.Groups) == 0 {
		return errNoAdmin
	}
	return s.render(w, http.StatusOK, "menu.html", v)
}

func (s *Server) handleProductConfigurationPage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.signedInChrome(r, "Product Configuration", "admin", crumbAdmin, crumbProductConfig)
	if err != nil {
		return err
	}
	if !c.Can.ViewKeys {
		return errNoAdmin
	}
	v := menuView{chrome: c, Lead: "Settings of the product integrations of your organization.", Groups: []menuGroup{
		{Title: "System Settings", Href: crumbSystemSettings.Href, Items: []menuItem{
			{"API Keys", keysPath, "Generate, describe and delete the API keys of each initialized client."},
		}},
	}}
	return s.render(w, http.StatusOK, "menu.html", v)
}

func (s *Server) handleSystemSettingsPage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.signedInChrome(r, "System Settings", "admin", crumbAdmin, crumbProductConfig, crumbSystemSettings)
	if err != nil {
		return err
	}
	if !c.Can.ViewKeys {
		return errNoAdmin
	}
	v := menuView{chrome: c, Lead: "How integrations authenticate to keyhouse.", Groups: []menuGroup{
		{Title: "Integrations", Items: []menuItem{
			{"API Keys", keysPath, "Every initialized client, sandbox and production, with its API keys."},
		}},
	}}
	return s.render(w, http.StatusOK, "menu.html", v)
}
