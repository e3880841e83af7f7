package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// runSearchDump answers the first n searches of the benchmark's mix, and the second page of
// each, on the benchmark database, and writes one JSON line per answer: the query, the
// status and the body. The mix starts at the next midnight (UTC), so two dumps taken the
// same day ask the same questions: comparing the dumps of two builds shows whether a
// change altered what search answers.
func runSearchDump(ctx context.Context, o searchOptions, n int, stdout io.Writer) error {
	dbURL, err := benchDatabase(ctx, o.database)
	if err != nil {
		return err
	}
	env, cleanup, err := setup(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	addr := freeAddr()
	svc, err := start(o.platform, append(env, "DATABASE_URL="+dbURL, "DATABASE_READ_URL="), addr, "search", "")
	if err != nil {
		return err
	}
	defer stop(svc)

	enc := json.NewEncoder(stdout)
	base := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	for _, q := range mixFrom(base, n) {
		next, err := dumpOne(enc, addr, q.values)
		if err != nil {
			return err
		}
		if next != "" {
			v := url.Values{}
			for k, vs := range q.values {
				v[k] = vs
			}
			v.Set("cursor", next)
			if _, err := dumpOne(enc, addr, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// dumpOne writes the answer to one search and returns its next page's cursor.
func dumpOne(enc *json.Encoder, addr string, v url.Values) (string, error) {
	res, err := http.Get("http://" + addr + "/api/v1/search/events?" + v.Encode())
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	var page struct {
		Page struct {
			NextCursor string `json:"next_cursor"`
		} `json:"page"`
	}
	_ = json.Unmarshal(body, &page)
	line := struct {
		Query  string          `json:"query"`
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	}{v.Encode(), res.StatusCode, body}
	if !json.Valid(body) {
		return "", fmt.Errorf("search %s: %d, not JSON: %.200s", v.Encode(), res.StatusCode, body)
	}
	return page.Page.NextCursor, enc.Encode(line)
}
