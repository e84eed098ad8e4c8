package server

// The JSON shapes of the API live here, in the HTTP layer, and nowhere
// else: domain (package keyhouse) and service types carry no json tags.
//
// How to add or change a shape (one file per resource, model_<resource>.go):
//
//   - a response is a type named <thing>Response with json tags, built from
//     domain or service values by a small function new<Thing>Response;
//     a handler writes it with writeJSON, never a map;
//   - a request body is a type named <thing>Request, read with decode;
//   - list answers wrap their items in a named type ({"clients":[…]}), and
//     answer [] rather than null for none;
//   - describe it in openapi.json under components/schemas, a response by
//     its type's name without "Response" (keyResponse: Key), a request
//     body with "Request" (keyUpdateRequest: KeyUpdateRequest); the
//     schemas are closed (additionalProperties: false), so a field added
//     here fails the API tests until the document has it too;
//   - a new route: one line in routes.go (api.Handle) and its path in
//     openapi.json; TestOpenAPIRoutes fails until both are there;
//   - a main answer gets a golden file (golden_test.go, -update).
//
// The data plane's hot answers (the token, the intake's 202) are appended
// by hand (tokenJSON, acceptedJSON); TestHandWrittenJSON checks them
// against encoding/json on the response types below.

// statusResponse is the answer of the probes and of an activation's
// confirmation: {"status":"ok"}.
type statusResponse struct {
	Status string `json:"status"`
}
