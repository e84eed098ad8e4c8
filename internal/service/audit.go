package service

import (
	"context"
	"strconv"

	"keyhouse"
)

// AuditPage is one page of the audit report, newest first. NextCursor,
// when not "", fetches the next (older) page.
type AuditPage struct {
	Events     []*keyhouse.AuditEvent
	NextCursor string
}

// ListAudit returns the principal's organization's audit events matching f
// (its OrgID is ignored); cursor is a NextCursor from an earlier page.
func (s *Service) ListAudit(ctx context.Context, f keyhouse.AuditFilter, cursor string) (*AuditPage, error) {
	p, err := authorize(ctx, permAudit)
	if err != nil {
		return nil, err
	}
	f.OrgID = p.OrgID
	if cursor != "" {
		if f.Before, err = strconv.ParseInt(cursor, 10, 64); err != nil || f.Before <= 0 {
			return nil, keyhouse.Errorf(keyhouse.EINVALID, "cursor: not a cursor from an earlier page")
		}
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	page := &AuditPage{Events: []*keyhouse.AuditEvent{}}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	err = s.store.View(ctx, func(tx Tx) error {
		evs, err := tx.ListAudit(f)
		if evs != nil {
			page.Events = evs
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(page.Events) > limit {
		page.Events = page.Events[:limit]
		page.NextCursor = strconv.FormatInt(page.Events[limit-1].ID, 10)
	}
	return page, nil
}
