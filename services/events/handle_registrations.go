package events

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/events-platform/events-platform/internal/httpapi"
)

func (s *Service) handleRegister(ctx context.Context, in *eventIDInput) (*httpapi.Output[Registration], error) {
	by, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.reg.register(ctx, in.ID, by.UserID)
	if err != nil {
		return nil, s.fail(ctx, "register", err)
	}
	return httpapi.Created(r), nil
}

func (s *Service) handleCancelRegistration(ctx context.Context, in *eventIDInput) (*httpapi.Output[Registration], error) {
	by, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.store.cancelRegistration(ctx, in.ID, by.UserID)
	if err != nil {
		return nil, s.fail(ctx, "cancel registration", err)
	}
	return httpapi.OK(r), nil
}

type attendeesInput struct {
	ID     int64  `path:"id" minimum:"1"`
	Status string `query:"status" enum:"confirmed,waitlisted,cancelled" doc:"default: confirmed and waitlisted"`
	Format string `query:"format" enum:"json,csv" default:"json" doc:"csv: every attendee as a CSV file, no paging"`
	Accept string `header:"Accept"`
	Cursor string `query:"cursor" maxLength:"64"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

type attendeesOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               any
}

// maxCSVRows bounds one CSV export; larger events page through the JSON list.
const maxCSVRows = 100_000

func (s *Service) handleAttendees(ctx context.Context, in *attendeesInput) (*attendeesOutput, error) {
	by, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.store.event(ctx, s.store.db, in.ID)
	if err == nil && !by.owns(e) {
		err = errForbidden
	}
	if err != nil {
		return nil, s.fail(ctx, "list attendees", err)
	}
	if in.Format == "csv" || strings.Contains(in.Accept, "text/csv") {
		list, err := s.store.attendees(ctx, in.ID, in.Status, 0, maxCSVRows)
		if err != nil {
			return nil, s.fail(ctx, "list attendees", err)
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write([]string{"registration_id", "user_id", "name", "email", "status", "waitlist_position", "registered_at", "checked_in_at"})
		for _, a := range list {
			pos, checked := "", ""
			if a.WaitlistPosition > 0 {
				pos = strconv.Itoa(a.WaitlistPosition)
			}
			if a.CheckedInAt != nil {
				checked = a.CheckedInAt.UTC().Format(time.RFC3339)
			}
			_ = w.Write([]string{strconv.FormatInt(a.ID, 10), strconv.FormatInt(a.UserID, 10), httpapi.CSVCell(a.Name), httpapi.CSVCell(a.Email),
				a.Status, pos, a.CreatedAt.UTC().Format(time.RFC3339), checked})
		}
		w.Flush()
		return &attendeesOutput{ContentType: "text/csv; charset=utf-8",
			ContentDisposition: fmt.Sprintf(`attachment; filename="event-%d-attendees.csv"`, in.ID), Body: buf.Bytes()}, nil
	}
	var after int64
	if in.Cursor != "" {
		c, err := httpapi.DecodeCursor[idCursor](in.Cursor)
		if err != nil {
			return nil, err
		}
		after = c.ID
	}
	list, err := s.store.attendees(ctx, in.ID, in.Status, after, in.Limit+1)
	if err != nil {
		return nil, s.fail(ctx, "list attendees", err)
	}
	page := httpapi.Page{Limit: in.Limit}
	if len(list) > in.Limit {
		list = list[:in.Limit]
		page.NextCursor = httpapi.EncodeCursor(idCursor{ID: list[len(list)-1].ID})
	}
	return &attendeesOutput{Body: httpapi.List(list, page).Body}, nil
}

type checkInInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		RegistrationID int64 `json:"registration_id,omitempty" minimum:"1"`
		UserID         int64 `json:"user_id,omitempty" minimum:"1"`
	}
}

type checkInOutput struct {
	Status int
	Body   httpapi.Envelope[checkInResult]
}

type checkInResult struct {
	Registration     Registration `json:"registration"`
	AlreadyCheckedIn bool         `json:"already_checked_in"`
	Message          string       `json:"message"`
}

func (s *Service) handleCheckIn(ctx context.Context, in *checkInInput) (*checkInOutput, error) {
	by, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if (in.Body.RegistrationID == 0) == (in.Body.UserID == 0) {
		return nil, httpapi.BadRequest("send exactly one of registration_id and user_id")
	}
	r, already, err := s.store.checkIn(ctx, in.ID, by, in.Body.RegistrationID, in.Body.UserID)
	if err != nil {
		return nil, s.fail(ctx, "check in", err)
	}
	out := &checkInOutput{Status: http.StatusCreated, Body: httpapi.Envelope[checkInResult]{Success: true,
		Data: checkInResult{Registration: r, Message: "checked in"}}}
	if already {
		out.Status = http.StatusOK
		out.Body.Data.AlreadyCheckedIn = true
		out.Body.Data.Message = "already checked in at " + r.CheckedInAt.UTC().Format(time.RFC3339)
	}
	return out, nil
}

// idCursor is where a list ordered by registration id continues.
type idCursor struct {
	ID int64 `json:"id"`
}

type pageInput struct {
	Cursor string `query:"cursor" maxLength:"128"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

func (s *Service) handleMyRegistrations(ctx context.Context, in *pageInput) (*httpapi.ListOutput[MyRegistration], error) {
	by, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var before int64
	if in.Cursor != "" {
		c, err := httpapi.DecodeCursor[idCursor](in.Cursor)
		if err != nil {
			return nil, err
		}
		before = c.ID
	}
	list, err := s.store.myRegistrations(ctx, by.UserID, before, in.Limit+1)
	if err != nil {
		return nil, s.fail(ctx, "my registrations", err)
	}
	page := httpapi.Page{Limit: in.Limit}
	if len(list) > in.Limit {
		list = list[:in.Limit]
		page.NextCursor = httpapi.EncodeCursor(idCursor{ID: list[len(list)-1].ID})
	}
	return httpapi.List(list, page), nil
}
