package recommendations

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/services/recommendations/model"
)

// Interaction weights of what the events tables and feedback hold, as retraining weighs
// them by default.
const (
	weightClick    = 2
	weightFavorite = 3
	weightRegister = 5
)

// person is what a request knows of the user it recommends for.
type person struct {
	id        int64
	city      string // lower case
	interests string
	// history is what the model saw at training and what the tables hold since; excluded
	// are the events never to show (seen, registered for, dismissed, organised by them);
	// registered and saved name why a history event counts, for the reasons.
	history    []model.Interaction
	excluded   map[int64]bool
	registered map[int64]bool
	saved      map[int64]bool
}

// loadPerson reads a user's profile, registrations, favorites and feedback in one round
// trip and joins them with the model's history of them. An unknown user is
// errUserNotFound.
func (s *Service) loadPerson(ctx context.Context, sv *served, userID int64) (*person, error) {
	p := &person{id: userID, excluded: map[int64]bool{}, registered: map[int64]bool{}, saved: map[int64]bool{}}
	b := &pgx.Batch{}
	b.Queue(`SELECT lower(city), array_to_string(interests, ' ') FROM users WHERE id = $1`, userID)
	b.Queue(`SELECT event_id, status FROM event_registrations WHERE user_id = $1`, userID)
	b.Queue(`SELECT event_id FROM favorites WHERE user_id = $1`, userID)
	b.Queue(`SELECT event_id, action FROM recommendation_feedback WHERE user_id = $1`, userID)
	b.Queue(`SELECT id FROM events WHERE created_by = $1 AND status = 'published' AND starts_at > now()`, userID)
	res := s.db.SendBatch(ctx, b)
	defer res.Close()
	if err := res.QueryRow().Scan(&p.city, &p.interests); errors.Is(err, pgx.ErrNoRows) {
		return nil, errUserNotFound
	} else if err != nil {
		return nil, fmt.Errorf("load user %d: %w", userID, err)
	}
	p.city = strings.TrimSpace(p.city)
	fresh := map[int64]float32{}
	add := func(id int64, w float32) { fresh[id] = max(fresh[id], w) }
	err := scanRows(res, func(rows pgx.Rows) error {
		var id int64
		var status string
		if err := rows.Scan(&id, &status); err != nil {
			return err
		}
		p.excluded[id] = true // a cancelled registration is not shown again either
		if status != "cancelled" {
			p.registered[id] = true
			add(id, weightRegister)
		}
		return nil
	})
	if err == nil {
		err = scanRows(res, func(rows pgx.Rows) error {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			p.saved[id] = true
			add(id, weightFavorite)
			return nil
		})
	}
	dismissed := map[int64]bool{}
	if err == nil {
		err = scanRows(res, func(rows pgx.Rows) error {
			var id int64
			var action string
			if err := rows.Scan(&id, &action); err != nil {
				return err
			}
			switch action {
			case "dismissed":
				dismissed[id], p.excluded[id] = true, true
			case "clicked":
				add(id, weightClick)
			case "registered":
				add(id, weightRegister)
			}
			return nil
		})
	}
	if err == nil {
		err = scanRows(res, func(rows pgx.Rows) error {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			p.excluded[id] = true
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("load history of user %d: %w", userID, err)
	}
	for _, h := range sv.ranker.History(userID) {
		if !dismissed[h.Item] {
			fresh[h.Item] = max(fresh[h.Item], h.Weight)
		}
	}
	for id, w := range fresh {
		if !dismissed[id] {
			p.history = append(p.history, model.Interaction{Item: id, Weight: w})
		}
		p.excluded[id] = true // what the user has seen is not news to them
	}
	slices.SortFunc(p.history, func(a, b model.Interaction) int { return cmp.Compare(a.Item, b.Item) })
	return p, nil
}

// scanRows reads the next result of a batch row by row.
func scanRows(res pgx.BatchResults, each func(pgx.Rows) error) error {
	rows, err := res.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
