package curation

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// ordered is a list of events kept in order by a position column: the featured picks, or
// one collection's items.
type ordered struct {
	table string
	scope string // the SQL condition that picks the list's rows
}

var picksOrder = ordered{table: "featured_picks", scope: "true"}

func collectionOrder(id int64) ordered {
	return ordered{table: "collection_items", scope: "collection_id = " + strconv.FormatInt(id, 10)}
}

// makeRoom takes event out of the list inside tx and returns where to put it back: at
// position (from 1), the events from there moved down one, or last when position is 0.
func (o ordered) makeRoom(ctx context.Context, tx pgx.Tx, event int64, position int) (int, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM `+o.table+` WHERE `+o.scope+` AND event_id = $1`, event); err != nil {
		return 0, fmt.Errorf("take event %d out of %s: %w", event, o.table, err)
	}
	var err error
	if position == 0 {
		err = tx.QueryRow(ctx, `SELECT coalesce(max(position), 0) + 1 FROM `+o.table+` WHERE `+o.scope).Scan(&position)
	} else {
		_, err = tx.Exec(ctx, `UPDATE `+o.table+` SET position = position + 1 WHERE `+o.scope+` AND position >= $1`, position)
	}
	if err != nil {
		return 0, fmt.Errorf("place event %d in %s: %w", event, o.table, err)
	}
	return position, nil
}
