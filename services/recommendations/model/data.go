// Package model trains and evaluates the recommenders: the data they learn from (implicit
// feedback: who interacted with which event, how strongly, when), the splits and metrics
// that judge them, and the models themselves. It knows nothing of HTTP, PostgreSQL or the
// platform's ids beyond mapping them to dense indexes: `platform retrain` feeds it, the
// recommendations service serves what it trained.
package model

import (
	"cmp"
	"slices"
)

// Entry is one user's feedback on one item: its summed weight and its latest time (Unix
// seconds).
type Entry struct {
	Item   int32
	Weight float32
	At     int64
}

// Dataset is implicit feedback by user: Users[u] holds u's entries, one per item, by item.
// Users and items are dense indexes; UserIDs and ItemIDs map them back.
type Dataset struct {
	Users   [][]Entry
	UserIDs []int64
	ItemIDs []int64
}

// NUsers is how many users the dataset indexes.
func (d *Dataset) NUsers() int { return len(d.UserIDs) }

// NItems is how many items the dataset indexes.
func (d *Dataset) NItems() int { return len(d.ItemIDs) }

// Len is how many (user, item) entries the dataset holds.
func (d *Dataset) Len() int {
	n := 0
	for _, es := range d.Users {
		n += len(es)
	}
	return n
}

// Builder collects interactions into a Dataset: the same user and item seen again add
// their weights and keep the latest time.
type Builder struct {
	users, items map[int64]int32
	userIDs      []int64
	itemIDs      []int64
	entries      []map[int32]Entry
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{users: map[int64]int32{}, items: map[int64]int32{}}
}

// Add records that user interacted with item with weight at (Unix seconds).
func (b *Builder) Add(user, item int64, weight float32, at int64) {
	u, ok := b.users[user]
	if !ok {
		u = int32(len(b.userIDs))
		b.users[user] = u
		b.userIDs = append(b.userIDs, user)
		b.entries = append(b.entries, map[int32]Entry{})
	}
	i, ok := b.items[item]
	if !ok {
		i = int32(len(b.itemIDs))
		b.items[item] = i
		b.itemIDs = append(b.itemIDs, item)
	}
	e := b.entries[u][i]
	e.Item, e.Weight, e.At = i, e.Weight+weight, max(e.At, at)
	b.entries[u][i] = e
}

// Dataset returns what was added.
func (b *Builder) Dataset() *Dataset {
	d := &Dataset{Users: make([][]Entry, len(b.entries)), UserIDs: slices.Clone(b.userIDs), ItemIDs: slices.Clone(b.itemIDs)}
	for u, m := range b.entries {
		es := make([]Entry, 0, len(m))
		for _, e := range m {
			es = append(es, e)
		}
		slices.SortFunc(es, func(a, b Entry) int { return cmp.Compare(a.Item, b.Item) })
		d.Users[u] = es
	}
	return d
}

// like returns a dataset with d's users and items and no entries.
func (d *Dataset) like() *Dataset {
	return &Dataset{Users: make([][]Entry, len(d.Users)), UserIDs: d.UserIDs, ItemIDs: d.ItemIDs}
}

// Items is the transpose of d: for each item, the users who interacted with it (Item
// holds the user) by user.
func (d *Dataset) Items() [][]Entry {
	out := make([][]Entry, d.NItems())
	for u, es := range d.Users {
		for _, e := range es {
			out[e.Item] = append(out[e.Item], Entry{Item: int32(u), Weight: e.Weight, At: e.At})
		}
	}
	return out
}
