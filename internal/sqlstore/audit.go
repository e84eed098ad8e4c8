package sqlstore

import (
	"keyhouse"
)

// Limits of ListAudit.
const (
	auditDefaultLimit = 100
	auditMaxLimit     = 1001 // the service's page of 1000, plus one that tells whether another follows
)

// AppendAudit inserts ev and sets its ID. Audit events are never updated,
// and deleted only by PruneAudit.
func (t *txn) AppendAudit(ev *keyhouse.AuditEvent) error {
	ev.Time = stored(ev.Time)
	err := t.queryRow(`INSERT INTO audit_events
			(at, org_id, environment, actor, action, target, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		micros(ev.Time), ev.OrgID, string(ev.Environment), ev.Actor, ev.Action, ev.Target, ev.IP, ev.UserAgent,
	).Scan(&ev.ID)
	return translate("insert audit event", "audit event", err)
}

// ListAudit returns the events of f.OrgID matching f, newest first: at or
// after From, before To, with action Action, with an ID below Before (the
// cursor). Limit defaults to 100 and is at most 1001.
func (t *txn) ListAudit(f keyhouse.AuditFilter) ([]*keyhouse.AuditEvent, error) {
	q := `SELECT id, at, org_id, environment, actor, action, target, ip, user_agent
		FROM audit_events WHERE org_id = ?`
	args := []any{f.OrgID}
	if !f.From.IsZero() {
		q += ` AND at >= ?`
		args = append(args, micros(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND at < ?`
		args = append(args, micros(f.To))
	}
	if f.Action != "" {
		q += ` AND action = ?`
		args = append(args, f.Action)
	}
	if f.Before > 0 {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = auditDefaultLimit
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, min(limit, auditMaxLimit))

	rows, err := t.query(q, args...)
	if err != nil {
		return nil, translate("list audit events", "audit event", err)
	}
	evs, err := scanAll(rows, func(s scanner) (*keyhouse.AuditEvent, error) {
		var ev keyhouse.AuditEvent
		var at int64
		if err := s.Scan(&ev.ID, &at, &ev.OrgID, &ev.Environment, &ev.Actor, &ev.Action, &ev.Target, &ev.IP, &ev.UserAgent); err != nil {
			return nil, err
		}
		ev.Time = fromMicros(at)
		return &ev, nil
	})
	if err != nil {
		return nil, translate("list audit events", "audit event", err)
	}
	return evs, nil
}

// PruneAudit deletes the deployment-wide (organization-less) events of
// action but the newest keep: failed sign-ins of unknown e-mails, which
// anyone can cause, must not fill the disk.
func (t *txn) PruneAudit(action string, keep int) error {
	_, err := t.exec(`DELETE FROM audit_events WHERE org_id = '' AND action = ? AND id <= (
			SELECT id FROM audit_events WHERE org_id = '' AND action = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
		action, action, keep)
	return translate("prune audit events", "audit event", err)
}
