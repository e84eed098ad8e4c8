package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"keyhouse"
	"keyhouse/internal/service"
)

// MaxIntakeBody is the largest intake request body.
const MaxIntakeBody = 1 << 20

// handleEvents is the data intake: one JSON object, or an NDJSON batch of
// up to service.MaxBatch objects, stored durably before the 202.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	g, err := s.bearerGrant(r)
	if err != nil {
		return err
	}
	noteActor(w, g.OrgID, g.ClientID)
	if r.ContentLength > MaxIntakeBody {
		return errTooLarge // refused before reading a byte of it
	}
	ndjson, err := intakeType(r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxIntakeBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return errTooLarge
		}
		return keyhouse.Errorf(keyhouse.EBADREQUEST, "body: could not be read")
	}
	events, err := readEvents(body, ndjson)
	if err != nil {
		return err
	}
	ids, err := s.Service.Ingest(r.Context(), g, events)
	if err != nil {
		return err
	}
	writeRawJSON(w, http.StatusAccepted, acceptedJSON(ids))
	s.metrics().EventsAccepted(len(ids))
	return nil
}

// acceptedJSON is the 202 answer: {"accepted":N,"ids":[…]}.
func acceptedJSON(ids []string) []byte {
	b := make([]byte, 0, 32+len(ids)*len(`"evt_0000000000000000000000",`))
	b = strconv.AppendInt(append(b, `{"accepted":`...), int64(len(ids)), 10)
	b = append(b, `,"ids":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, id)
	}
	return append(b, "]}\n"...)
}

var errTooLarge = keyhouse.Errorf(keyhouse.ETOOLARGE, "body: at most 1 MiB")

// bearerGrant verifies the access token of an intake request.
func (s *Server) bearerGrant(r *http.Request) (*service.Grant, error) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, keyhouse.Errorf(keyhouse.EINVALIDTOKEN, "an access token is required: Authorization: Bearer <token> from /as/token")
	}
	return s.Service.VerifyToken(r.Context(), strings.TrimSpace(tok))
}

// intakeType reports whether a content type is NDJSON (true) or JSON.
func intakeType(ct string) (bool, error) {
	if ct == "application/json" { // as nearly every integration sends it: no parsing
		return false, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case err != nil:
	case mt == "application/json":
		return false, nil
	case mt == "application/x-ndjson", mt == "application/ndjson":
		return true, nil
	}
	return false, keyhouse.Errorf(keyhouse.EUNSUPPORTED, "Content-Type: must be application/json or application/x-ndjson")
}

// readEvents splits a body into its JSON objects: the whole body for JSON,
// each non-blank line for NDJSON. Errors name the line.
func readEvents(body []byte, ndjson bool) ([][]byte, error) {
	if !ndjson {
		if !isObject(body) {
			return nil, keyhouse.Errorf(keyhouse.EBADREQUEST, "body: must be one JSON object")
		}
		return [][]byte{bytes.TrimSpace(body)}, nil
	}
	var events [][]byte
	line := 0
	for rest := body; len(rest) > 0; {
		var b []byte
		b, rest, _ = bytes.Cut(rest, []byte{'\n'})
		line++
		if b = bytes.TrimSpace(b); len(b) == 0 {
			continue
		}
		if !isObject(b) {
			return nil, keyhouse.Errorf(keyhouse.EBADREQUEST, "line %d: must be one JSON object", line)
		}
		if len(events) == service.MaxBatch {
			return nil, keyhouse.Errorf(keyhouse.ETOOLARGE, "body: at most %d events", service.MaxBatch)
		}
		events = append(events, b)
	}
	if len(events) == 0 {
		return nil, keyhouse.Errorf(keyhouse.EBADREQUEST, "body: no events")
	}
	return events, nil
}

// isObject reports whether b is exactly one valid JSON object.
func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 1 && b[0] == '{' && json.Valid(b)
}
