package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

// resourceServerJSON is what `resource-servers create --json` prints, and
// each entry of `resource-servers list --json` (without the credential).
type resourceServerJSON struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Credential string    `json:"credential,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

func (e *env) resourceServerCreate(ctx context.Context, args []string) error {
	var c common
	fs := e.flags("resource-servers create", &c)
	name := fs.String("name", "", "name of the service that will use the credential")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("--name: is required")
	}
	return e.withService(ctx, &c, func(svc *service.Service) error {
		rs, err := svc.CreateResourceServer(operator(ctx, ""), *name)
		if err != nil {
			return err
		}
		text := fmt.Sprintf("resource server %s (%s) created\ncredential (shown once; give it to the service as KEYHOUSE_RESOURCE_SERVER): %s", rs.ID, rs.Name, rs.Credential)
		return e.printResult(&c, resourceServerJSON{ID: rs.ID, Name: rs.Name, Credential: rs.Credential, CreatedAt: rs.CreatedAt}, text)
	})
}

func (e *env) resourceServerList(ctx context.Context, args []string) error {
	c := common{readOnly: true}
	if err := e.flags("resource-servers list", &c).Parse(args); err != nil {
		return err
	}
	var list []*keyhouse.ResourceServer
	err := e.withService(ctx, &c, func(svc *service.Service) (err error) {
		list, err = svc.ListResourceServers(operator(ctx, ""))
		return err
	})
	if err != nil {
		return err
	}
	if c.JSON {
		out := []resourceServerJSON{}
		for _, rs := range list {
			out = append(out, resourceServerJSON{ID: rs.ID, Name: rs.Name, CreatedAt: rs.CreatedAt})
		}
		return json.NewEncoder(e.stdout).Encode(map[string]any{"resource_servers": out})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED")
	for _, rs := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", rs.ID, rs.Name, rs.CreatedAt.Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

func (e *env) resourceServerDelete(ctx context.Context, args []string) error {
	var c common
	fs := e.flags("resource-servers delete", &c)
	id := fs.String("id", "", "id of the resource server (rs_…); may also be given as the first argument")
	var positional string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		positional, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case positional != "" && *id != "" && positional != *id:
		return fmt.Errorf("--id: give one resource server id, as --id or as the first argument")
	case positional != "":
		*id = positional
	case *id == "":
		return fmt.Errorf("--id: is required")
	}
	return e.withService(ctx, &c, func(svc *service.Service) error {
		if err := svc.DeleteResourceServer(operator(ctx, ""), *id); err != nil {
			return err
		}
		text := fmt.Sprintf("resource server %s deleted: its credential is refused from now on", *id)
		return e.printResult(&c, map[string]string{"deleted": *id}, text)
	})
}
