// Command orders is an example product service that accepts keyhouse's
// access tokens with package verify: offline verification, a deleted
// key's tokens refused within a second, every token refused while
// keyhouse is silent.
//
//	KEYHOUSE_ISSUER=https://keys.example.com \
//	KEYHOUSE_RESOURCE_SERVER=khrs_… \
//	go run ./examples/orders
//	curl -H "Authorization: Bearer $ACCESS" http://127.0.0.1:8090/v1/orders
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"keyhouse/verify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv); err != nil {
		slog.Error("orders", "err", err)
		os.Exit(1)
	}
}

// run serves the example until ctx ends.
func run(ctx context.Context, getenv func(string) string) error {
	v, err := verify.New(ctx, verify.Config{
		Issuer:     getenv("KEYHOUSE_ISSUER"),
		Credential: getenv("KEYHOUSE_RESOURCE_SERVER"),
	})
	if err != nil {
		return err
	}
	defer v.Close()
	addr := getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8090"
	}
	srv := &http.Server{Addr: addr, Handler: newMux(v), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	slog.Info("orders listening", "addr", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newMux returns the example's routes, each behind the verifier.
func newMux(v *verify.Verifier) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /v1/orders", v.Middleware(http.HandlerFunc(handleOrders)))
	return mux
}

// ordersJSON is the example's answer: whom the token was for.
type ordersJSON struct {
	OrganizationID string   `json:"organization_id"`
	Environment    string   `json:"environment"`
	ClientID       string   `json:"client_id"`
	APIKeyID       string   `json:"api_key_id"`
	Orders         []string `json:"orders"`
}

// handleOrders answers the caller's orders (none: it is an example).
func handleOrders(w http.ResponseWriter, r *http.Request) {
	c, ok := verify.ClaimsFrom(r.Context())
	if !ok {
		http.Error(w, "no verified token", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ordersJSON{
		OrganizationID: c.OrganizationID, Environment: c.Environment,
		ClientID: c.ClientID, APIKeyID: c.APIKeyID, Orders: []string{},
	})
}
