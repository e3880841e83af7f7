package curation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/changes"
	"github.com/events-platform/events-platform/internal/eventview"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/internal/postgres"
)

// Collections are editors' titled, ordered lists of events. Anyone reads a published
// collection; only editors and administrators read drafts and write. A collection shows
// only its events that may be shown to everyone now (upcoming, published, public,
// approved): a past, cancelled or held event drops out by itself and comes back if it
// may be shown again.

// maxCollectionEvents bounds a collection.
const maxCollectionEvents = 200

// Collection is a collection as clients see it.
type Collection struct {
	ID          int64      `json:"id"`
	Slug        string     `json:"slug"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	City        string     `json:"city"`
	CoverURL    string     `json:"cover_url"`
	Status      string     `json:"status" enum:"draft,published"`
	EventCount  int        `json:"event_count" doc:"events shown now"`
	CreatedBy   int64      `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

// CollectionItem is an event in a collection, shown or not (editors see them all).
type CollectionItem struct {
	EventID  int64  `json:"event_id"`
	Title    string `json:"title"`
	Position int    `json:"position"`
	Shown    bool   `json:"shown" doc:"false once the event started, or may not be shown (cancelled, held, private)"`
}

// CollectionPage is a collection with its events.
type CollectionPage struct {
	Collection
	Events []eventview.Event `json:"events" doc:"the events shown, in the editors' order"`
	Items  []CollectionItem  `json:"items,omitempty" doc:"editors only: every event in the collection"`
}

var collectionColumns = `c.id, c.slug, c.title, c.description, c.city, c.cover_url, c.status,
	(SELECT count(*) FROM collection_items i JOIN events e ON e.id = i.event_id WHERE i.collection_id = c.id AND ` + showable + `),
	c.created_by, c.created_at, c.updated_at, c.published_at`

func scanCollection(row pgx.Row) (Collection, error) {
	var c Collection
	err := row.Scan(&c.ID, &c.Slug, &c.Title, &c.Description, &c.City, &c.CoverURL, &c.Status, &c.EventCount,
		&c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &c.PublishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		err = errCollectionNotFound
	}
	return c, err
}

type listCollectionsInput struct {
	City   string `query:"city" maxLength:"100"`
	Status string `query:"status" enum:"published,draft" default:"published" doc:"draft: editors only"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Cursor string `query:"cursor" maxLength:"200"`
}

type collectionCursor struct {
	ID int64 `json:"id"`
}

func (s *Service) handleListCollections(ctx context.Context, in *listCollectionsInput) (*httpapi.ListOutput[Collection], error) {
	if in.Status == "draft" {
		if _, err := requireCurator(ctx); err != nil {
			return nil, err
		}
	}
	after := int64(1<<63 - 1)
	if in.Cursor != "" {
		c, err := httpapi.DecodeCursor[collectionCursor](in.Cursor)
		if err != nil {
			return nil, httpapi.BadCursor()
		}
		after = c.ID
	}
	rows, err := s.db.Query(ctx, `SELECT `+collectionColumns+` FROM collections c
		WHERE c.status = $1 AND ($2 = '' OR lower(c.city) = lower($2)) AND c.id < $3 ORDER BY c.id DESC LIMIT $4`,
		in.Status, in.City, after, in.Limit+1)
	if err != nil {
		return nil, s.fail(ctx, "list collections", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Collection, error) { return scanCollection(r) })
	if err != nil {
		return nil, s.fail(ctx, "list collections", err)
	}
	page := httpapi.Page{Limit: in.Limit}
	if len(list) > in.Limit {
		list = list[:in.Limit]
		page.NextCursor = httpapi.EncodeCursor(collectionCursor{ID: list[len(list)-1].ID})
	}
	return httpapi.List(list, page), nil
}

// collectionBody is what editors write of a collection; on a change, what is absent stays.
type collectionBody struct {
	Slug        *string `json:"slug,omitempty" pattern:"^[a-z0-9]+(-[a-z0-9]+)*$" maxLength:"100" doc:"lower-case letters, digits and single hyphens; the collection's address"`
	Title       *string `json:"title,omitempty" minLength:"1" maxLength:"200"`
	Description *string `json:"description,omitempty" maxLength:"5000"`
	City        *string `json:"city,omitempty" maxLength:"100"`
	CoverURL    *string `json:"cover_url,omitempty" maxLength:"2000" doc:"an http or https URL, or empty"`
}

func (b collectionBody) check(creating bool) error {
	var details []httpapi.Detail
	if creating && b.Slug == nil {
		details = append(details, httpapi.Detail{Field: "body.slug", Message: "required"})
	}
	if creating && b.Title == nil {
		details = append(details, httpapi.Detail{Field: "body.title", Message: "required"})
	}
	if b.Title != nil && strings.TrimSpace(*b.Title) == "" {
		details = append(details, httpapi.Detail{Field: "body.title", Message: "must not be blank"})
	}
	if b.CoverURL != nil && *b.CoverURL != "" && !httpapi.IsWebURL(*b.CoverURL) {
		details = append(details, httpapi.Detail{Field: "body.cover_url", Message: "must be an http or https URL"})
	}
	if len(details) > 0 {
		return httpapi.NewError(422, httpapi.CodeUnprocessable, "the collection is not valid", details...)
	}
	return nil
}

func (s *Service) handleCreateCollection(ctx context.Context, in *struct{ Body collectionBody }) (*httpapi.Output[CollectionPage], error) {
	id, err := requireCurator(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	if err := b.check(true); err != nil {
		return nil, err
	}
	c, err := scanCollection(s.db.QueryRow(ctx, `WITH c AS (
		INSERT INTO collections (slug, title, description, city, cover_url, created_by)
		VALUES ($1, $2, coalesce($3, ''), coalesce($4, ''), coalesce($5, ''), $6) RETURNING *)
		SELECT `+collectionColumns+` FROM c`, *b.Slug, strings.TrimSpace(*b.Title), b.Description, b.City, b.CoverURL, id.UserID))
	if err != nil {
		return nil, s.fail(ctx, "create collection", slugTaken(err))
	}
	return httpapi.Created(CollectionPage{Collection: c, Events: []eventview.Event{}, Items: []CollectionItem{}}), nil
}

// slugTaken turns the slug's unique violation into a 409.
func slugTaken(err error) error {
	if postgres.IsUniqueViolation(err, "collections_slug_key") {
		return httpapi.Conflict("a collection with this slug exists; choose another")
	}
	return err
}

type slugInput struct {
	Slug string `path:"slug" maxLength:"100"`
}

func (s *Service) handleGetCollection(ctx context.Context, in *slugInput) (*httpapi.Output[CollectionPage], error) {
	id, signedIn := auth.FromContext(ctx)
	curator := signedIn && id.IsCurator()
	p, err := s.collectionPage(ctx, s.db, in.Slug, curator)
	if err != nil {
		return nil, s.fail(ctx, "get collection", err)
	}
	return httpapi.OK(p), nil
}

// collectionPage reads a collection with its events; a draft is not found unless curator
// (who also gets every item).
func (s *Service) collectionPage(ctx context.Context, q changes.Querier, slug string, curator bool) (CollectionPage, error) {
	c, err := scanCollection(q.QueryRow(ctx, `SELECT `+collectionColumns+` FROM collections c WHERE c.slug = $1`, slug))
	if err != nil {
		return CollectionPage{}, err
	}
	if c.Status != "published" && !curator {
		return CollectionPage{}, errCollectionNotFound
	}
	rows, err := q.Query(ctx, `SELECT i.event_id, e.title, i.position, `+showable+`
		FROM collection_items i JOIN events e ON e.id = i.event_id WHERE i.collection_id = $1 ORDER BY i.position, i.event_id`, c.ID)
	if err != nil {
		return CollectionPage{}, fmt.Errorf("items of collection %d: %w", c.ID, err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CollectionItem, error) {
		var it CollectionItem
		err := r.Scan(&it.EventID, &it.Title, &it.Position, &it.Shown)
		return it, err
	})
	if err != nil {
		return CollectionPage{}, fmt.Errorf("items of collection %d: %w", c.ID, err)
	}
	var shown []int64
	for _, it := range items {
		if it.Shown {
			shown = append(shown, it.EventID)
		}
	}
	events, err := s.show(ctx, shown)
	if err != nil {
		return CollectionPage{}, err
	}
	p := CollectionPage{Collection: c, Events: events}
	if curator {
		p.Items = items
		if p.Items == nil {
			p.Items = []CollectionItem{}
		}
	}
	return p, nil
}

func (s *Service) handleUpdateCollection(ctx context.Context, in *struct {
	Slug string `path:"slug" maxLength:"100"`
	Body collectionBody
}) (*httpapi.Output[CollectionPage], error) {
	if _, err := requireCurator(ctx); err != nil {
		return nil, err
	}
	b := in.Body
	if err := b.check(false); err != nil {
		return nil, err
	}
	if b.Title != nil {
		t := strings.TrimSpace(*b.Title)
		b.Title = &t
	}
	var p CollectionPage
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var slug string
		err := tx.QueryRow(ctx, `UPDATE collections SET slug = coalesce($2, slug), title = coalesce($3, title),
			description = coalesce($4, description), city = coalesce($5, city), cover_url = coalesce($6, cover_url), updated_at = now()
			WHERE slug = $1 RETURNING slug`, in.Slug, b.Slug, b.Title, b.Description, b.City, b.CoverURL).Scan(&slug)
		if errors.Is(err, pgx.ErrNoRows) {
			return errCollectionNotFound
		}
		if err != nil {
			return slugTaken(err)
		}
		p, err = s.collectionPage(ctx, tx, slug, true)
		return err
	})
	if err != nil {
		return nil, s.fail(ctx, "update collection", err)
	}
	return httpapi.OK(p), nil
}

func (s *Service) handleDeleteCollection(ctx context.Context, in *slugInput) (*httpapi.Output[Removed], error) {
	if _, err := requireCurator(ctx); err != nil {
		return nil, err
	}
	tag, err := s.db.Exec(ctx, `DELETE FROM collections WHERE slug = $1`, in.Slug)
	if err != nil {
		return nil, s.fail(ctx, "delete collection", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, s.fail(ctx, "delete collection", errCollectionNotFound)
	}
	return httpapi.OK(Removed{Removed: true}), nil
}

func (s *Service) handlePublishCollection(ctx context.Context, in *slugInput) (*httpapi.Output[CollectionPage], error) {
	return s.setCollectionStatus(ctx, in.Slug, "published")
}

func (s *Service) handleUnpublishCollection(ctx context.Context, in *slugInput) (*httpapi.Output[CollectionPage], error) {
	return s.setCollectionStatus(ctx, in.Slug, "draft")
}

// setCollectionStatus publishes (with its domain event) or unpublishes a collection; doing
// it again changes nothing.
func (s *Service) setCollectionStatus(ctx context.Context, slug, status string) (*httpapi.Output[CollectionPage], error) {
	id, err := requireCurator(ctx)
	if err != nil {
		return nil, err
	}
	var p CollectionPage
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var changed bool
		err := tx.QueryRow(ctx, `WITH old AS (SELECT id, status FROM collections WHERE slug = $1 FOR UPDATE)
			UPDATE collections c SET status = $2, updated_at = now(),
				published_at = CASE WHEN $2 = 'published' AND old.status <> 'published' THEN now() ELSE c.published_at END
			FROM old WHERE c.id = old.id RETURNING old.status <> $2`, slug, status).Scan(&changed)
		if errors.Is(err, pgx.ErrNoRows) {
			return errCollectionNotFound
		}
		if err != nil {
			return fmt.Errorf("set collection %s %s: %w", slug, status, err)
		}
		if p, err = s.collectionPage(ctx, tx, slug, true); err != nil {
			return err
		}
		if !changed || status != "published" {
			return nil
		}
		ids := make([]int64, len(p.Events))
		for i, e := range p.Events {
			ids[i] = e.ID
		}
		return natsbus.Enqueue(ctx, tx, SubjectCollectionPublished, CollectionMessage{Version: MessageVersion,
			CollectionID: p.ID, Slug: p.Slug, Title: p.Title, City: p.City, EventIDs: ids, ActorID: id.UserID, OccurredAt: time.Now().UTC()})
	})
	if err != nil {
		return nil, s.fail(ctx, "set collection status", err)
	}
	return httpapi.OK(p), nil
}

type collectionEventInput struct {
	Slug    string `path:"slug" maxLength:"100"`
	EventID int64  `path:"event_id" minimum:"1"`
	Body    *struct {
		Position int `json:"position,omitempty" minimum:"1" doc:"from 1; the events from there move down one. Default: last"`
	}
}

func (s *Service) handlePutCollectionEvent(ctx context.Context, in *collectionEventInput) (*httpapi.Output[CollectionPage], error) {
	id, err := requireCurator(ctx)
	if err != nil {
		return nil, err
	}
	position := 0
	if in.Body != nil {
		position = in.Body.Position
	}
	var p CollectionPage
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var cid int64
		var n int
		err := tx.QueryRow(ctx, `SELECT c.id, (SELECT count(*) FROM collection_items i WHERE i.collection_id = c.id AND i.event_id <> $2)
			FROM collections c WHERE c.slug = $1 FOR UPDATE`, in.Slug, in.EventID).Scan(&cid, &n)
		if errors.Is(err, pgx.ErrNoRows) {
			return errCollectionNotFound
		}
		if err != nil {
			return fmt.Errorf("load collection %s: %w", in.Slug, err)
		}
		if n >= maxCollectionEvents {
			return httpapi.Conflict(fmt.Sprintf("a collection holds at most %d events", maxCollectionEvents))
		}
		if err := requireShowable(ctx, tx, in.EventID); err != nil {
			return err
		}
		at, err := collectionOrder(cid).makeRoom(ctx, tx, in.EventID, position)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO collection_items (collection_id, event_id, position, added_by) VALUES ($1, $2, $3, $4)`,
			cid, in.EventID, at, id.UserID); err != nil {
			return fmt.Errorf("add event %d to collection %d: %w", in.EventID, cid, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE collections SET updated_at = now() WHERE id = $1`, cid); err != nil {
			return err
		}
		p, err = s.collectionPage(ctx, tx, in.Slug, true)
		return err
	})
	if err != nil {
		return nil, s.fail(ctx, "add event to collection", err)
	}
	return httpapi.OK(p), nil
}

func (s *Service) handleDeleteCollectionEvent(ctx context.Context, in *struct {
	Slug    string `path:"slug" maxLength:"100"`
	EventID int64  `path:"event_id" minimum:"1"`
}) (*httpapi.Output[Removed], error) {
	if _, err := requireCurator(ctx); err != nil {
		return nil, err
	}
	var found, removed bool
	err := s.db.QueryRow(ctx, `WITH c AS (SELECT id FROM collections WHERE slug = $1),
		d AS (DELETE FROM collection_items i USING c WHERE i.collection_id = c.id AND i.event_id = $2 RETURNING i.event_id),
		u AS (UPDATE collections SET updated_at = now() FROM c WHERE collections.id = c.id AND EXISTS (SELECT FROM d))
		SELECT EXISTS (SELECT FROM c), EXISTS (SELECT FROM d)`, in.Slug, in.EventID).Scan(&found, &removed)
	if err != nil {
		return nil, s.fail(ctx, "remove event from collection", err)
	}
	switch {
	case !found:
		return nil, s.fail(ctx, "remove event from collection", errCollectionNotFound)
	case !removed:
		return nil, httpapi.NotFound("this event is not in the collection")
	}
	return httpapi.OK(Removed{Removed: true}), nil
}
