package server

import (
	"time"

	"keyhouse"
)

// clientResponse is a client: {"client_id","name","environment","initialized_at"}.
type clientResponse struct {
	ClientID      string               `json:"client_id"`
	Name          string               `json:"name"`
	Environment   keyhouse.Environment `json:"environment"`
	InitializedAt *time.Time           `json:"initialized_at"`
}

func newClientResponse(c *keyhouse.Client) clientResponse {
	return clientResponse{ClientID: c.ClientID, Name: c.Name, Environment: c.Environment, InitializedAt: c.InitializedAt}
}

// eventsResponse counts the events received for one client.
type eventsResponse struct {
	Today          int64      `json:"today"`
	Last7Days      int64      `json:"last_7_days"`
	Total          int64      `json:"total"`
	LastReceivedAt *time.Time `json:"last_received_at"`
}

func newEventsResponse(e keyhouse.EventSummary) eventsResponse {
	return eventsResponse{Today: e.Today, Last7Days: e.Last7Days, Total: e.Total, LastReceivedAt: e.LastReceivedAt}
}

// clientDetailResponse is a client with its keys and its data-received
// counts, as the API Keys page shows it.
type clientDetailResponse struct {
	clientResponse
	Keys   []keyResponse  `json:"keys"`
	Events eventsResponse `json:"events"`
}

// clientSummaryResponse is a client with its data-received counts only.
type clientSummaryResponse struct {
	clientResponse
	Events eventsResponse `json:"events"`
}

// clientListResponse is {"clients":[…]}: client details, or summaries.
type clientListResponse[T any] struct {
	Clients []T `json:"clients"`
}

func newClientListResponse(cs []*keyhouse.ClientDetail) clientListResponse[clientDetailResponse] {
	out := clientListResponse[clientDetailResponse]{Clients: make([]clientDetailResponse, 0, len(cs))}
	for _, c := range cs {
		keys := make([]keyResponse, 0, len(c.Keys))
		for _, k := range c.Keys {
			keys = append(keys, newKeyResponse(k))
		}
		out.Clients = append(out.Clients, clientDetailResponse{newClientResponse(c.Client), keys, newEventsResponse(c.Events)})
	}
	return out
}

func newSummaryResponse(cs []*keyhouse.ClientSummary) clientListResponse[clientSummaryResponse] {
	out := clientListResponse[clientSummaryResponse]{Clients: make([]clientSummaryResponse, 0, len(cs))}
	for _, c := range cs {
		out.Clients = append(out.Clients, clientSummaryResponse{newClientResponse(c.Client), newEventsResponse(c.Events)})
	}
	return out
}

// clientCreateRequest initializes a client.
type clientCreateRequest struct {
	Name string `json:"name"`
}
