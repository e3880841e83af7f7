package model

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/events-platform/events-platform/internal/english"
)

// Doc is the text of an item (an event) the content model reads.
type Doc struct {
	Title       string
	Description string
	Category    string
	Tags        []string
}

// Field weights: a word in the title or a tag says more about an event than one in its
// description; the category is one strong term of its own.
const (
	titleWeight       = 2
	tagWeight         = 2
	categoryWeight    = 2
	descriptionWeight = 1
	// maxDocTerms bounds an item's vector to its strongest terms: the rest add little
	// similarity and much cost.
	maxDocTerms = 48
	// maxProfileTerms bounds a user's profile likewise.
	maxProfileTerms = 64
)

// termCounts returns doc's terms (Porter2 stems without stop words, the category as
// "category:…") with their field-weighted counts.
func termCounts(doc Doc) map[string]float64 {
	counts := map[string]float64{}
	add := func(text string, weight float64) {
		for _, w := range english.Words(text) {
			if !english.IsStopWord(w) {
				counts[english.Stem(w)] += weight
			}
		}
	}
	add(doc.Title, titleWeight)
	add(doc.Description, descriptionWeight)
	for _, t := range doc.Tags {
		add(t, tagWeight)
	}
	if c := strings.ToLower(strings.TrimSpace(doc.Category)); c != "" {
		counts["category:"+c] += categoryWeight
	}
	return counts
}

// Vector is a sparse, L2-normalised term vector: Terms ascending, one Weight each.
type Vector struct {
	Terms   []int32
	Weights []float32
}

// Dot is the dot product of two vectors (their cosine: both are normalised).
func (v Vector) Dot(w Vector) float32 {
	var s float32
	for i, j := 0, 0; i < len(v.Terms) && j < len(w.Terms); {
		switch {
		case v.Terms[i] < w.Terms[j]:
			i++
		case v.Terms[i] > w.Terms[j]:
			j++
		default:
			s += v.Weights[i] * w.Weights[j]
			i, j = i+1, j+1
		}
	}
	return s
}

// vectorFrom keeps the strongest max of weights by term, normalised.
func vectorFrom(weights map[int32]float64, max int) Vector {
	type tw struct {
		t int32
		w float64
	}
	all := make([]tw, 0, len(weights))
	for t, w := range weights {
		if w > 0 {
			all = append(all, tw{t, w})
		}
	}
	slices.SortFunc(all, func(a, b tw) int { return cmp.Or(cmp.Compare(b.w, a.w), cmp.Compare(a.t, b.t)) })
	if len(all) > max {
		all = all[:max]
	}
	slices.SortFunc(all, func(a, b tw) int { return cmp.Compare(a.t, b.t) })
	var norm float64
	for _, x := range all {
		norm += x.w * x.w
	}
	norm = math.Sqrt(norm)
	v := Vector{Terms: make([]int32, len(all)), Weights: make([]float32, len(all))}
	for i, x := range all {
		v.Terms[i], v.Weights[i] = x.t, float32(x.w/norm)
	}
	return v
}

// Vocabulary maps the terms seen in training to their inverse document frequency, so
// text seen later (a new event) is weighed the same way; unknown terms are left out.
type Vocabulary struct {
	Terms []string
	IDF   []float32
	index map[string]int32
}

// NewVocabulary counts the documents each term is in and weighs terms by
// log((n+1)/(df+1)) + 1.
func NewVocabulary(docs []Doc) *Vocabulary {
	df := map[string]int{}
	for _, d := range docs {
		for t := range termCounts(d) {
			df[t]++
		}
	}
	v := &Vocabulary{Terms: make([]string, 0, len(df))}
	for t := range df {
		v.Terms = append(v.Terms, t)
	}
	slices.Sort(v.Terms)
	v.IDF = make([]float32, len(v.Terms))
	for i, t := range v.Terms {
		v.IDF[i] = float32(math.Log(float64(len(docs)+1)/float64(df[t]+1)) + 1)
	}
	v.buildIndex()
	return v
}

func (v *Vocabulary) buildIndex() {
	v.index = make(map[string]int32, len(v.Terms))
	for i, t := range v.Terms {
		v.index[t] = int32(i)
	}
}

// Vector is doc's TF-IDF vector: (1 + log tf) · idf over its known terms.
func (v *Vocabulary) Vector(doc Doc) Vector {
	weights := map[int32]float64{}
	for t, tf := range termCounts(doc) {
		if i, ok := v.index[t]; ok {
			weights[i] = (1 + math.Log(tf)) * float64(v.IDF[i])
		}
	}
	return vectorFrom(weights, maxDocTerms)
}

// Profile is the taste a history shows: the normalised sum of the items' vectors, each
// weighted by the interaction.
func Profile(items []Vector, weights []float32) Vector {
	sum := map[int32]float64{}
	for k, it := range items {
		for i, t := range it.Terms {
			sum[t] += float64(weights[k]) * float64(it.Weights[i])
		}
	}
	return vectorFrom(sum, maxProfileTerms)
}

// Content recommends items whose text is like the text of what a user interacted with:
// TF-IDF over title, tags, category and description, the cosine of an item with the user's
// profile.
type Content struct {
	Vocabulary *Vocabulary
	Vectors    []Vector // by item
	users      [][]Entry
	postings   [][]posting // by term: the items holding it
}

type posting struct {
	item   int32
	weight float32
}

// TrainContent vectorises docs, one per item of d (a missing text is an empty Doc).
func TrainContent(d *Dataset, docs []Doc) *Content {
	c := &Content{Vocabulary: NewVocabulary(docs), Vectors: make([]Vector, len(docs)), users: d.Users}
	for i, doc := range docs {
		c.Vectors[i] = c.Vocabulary.Vector(doc)
	}
	c.index()
	return c
}

func (c *Content) index() {
	c.postings = make([][]posting, len(c.Vocabulary.Terms))
	for it, v := range c.Vectors {
		for i, t := range v.Terms {
			c.postings[t] = append(c.postings[t], posting{int32(it), v.Weights[i]})
		}
	}
}

// Score is the cosine of each item with the user's profile.
func (c *Content) Score(user int32, scores []float32) {
	es := c.users[user]
	items, weights := make([]Vector, len(es)), make([]float32, len(es))
	for k, e := range es {
		items[k], weights[k] = c.Vectors[e.Item], e.Weight
	}
	c.ScoreProfile(Profile(items, weights), scores)
}

// ScoreProfile adds the cosine of each item with profile to scores.
func (c *Content) ScoreProfile(profile Vector, scores []float32) {
	for i, t := range profile.Terms {
		w := profile.Weights[i]
		for _, p := range c.postings[t] {
			scores[p.item] += w * p.weight
		}
	}
}
