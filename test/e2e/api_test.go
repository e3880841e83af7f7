//go:build e2e

/*
Copyright 2026 The Events Platform Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"time"

	gocent "github.com/centrifugal/centrifuge-go"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/events-platform/events-platform/test/integration"
)

// client calls the platform's API through a port-forward to the gateway's Service, and
// remembers what the flow made, for the later steps to find again.
type client struct {
	api         *integration.Client
	forward     *exec.Cmd
	word        string // in the event's title, to search for
	eventID     int64
	organizer   string
	attendee    string
	attendeeID  int64
	capacity    int
	registrants int
}

func freePort() int {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// openGateway starts `kubectl port-forward` to the gateway's Service and waits for /health.
func openGateway() *client {
	GinkgoHelper()
	c := &client{}
	c.connect()
	return c
}

func (c *client) connect() {
	GinkgoHelper()
	port := freePort()
	c.api = integration.NewClient(fmt.Sprintf("http://127.0.0.1:%d", port))
	c.forward = exec.Command("kubectl", "-n", ns, "port-forward", "svc/"+platform+"-gateway", fmt.Sprintf("%d:8080", port))
	c.forward.Dir = root
	c.forward.Stdout, c.forward.Stderr = GinkgoWriter, GinkgoWriter
	Expect(c.forward.Start()).To(Succeed())
	Eventually(func() int {
		// /health is not in the envelope: only its status counts (0 until the forward is up).
		r, _ := c.api.Request("GET", "/health", "", nil)
		return r.Status
	}, 2*time.Minute, time.Second).Should(Equal(http.StatusOK))
}

func (c *client) close() {
	if c != nil && c.forward != nil && c.forward.Process != nil {
		_ = c.forward.Process.Kill()
		_ = c.forward.Wait()
	}
}

// reconnect is for after a rollout: the port-forward follows one pod, which may be gone.
func (c *client) reconnect() {
	GinkgoHelper()
	c.close()
	c.connect()
}

// do calls the API and returns its answer, the envelope decoded.
func (c *client) do(method, path, token string, body any) integration.Response {
	GinkgoHelper()
	r, err := c.api.Request(method, path, token, body)
	Expect(err).NotTo(HaveOccurred())
	fmt.Fprintf(GinkgoWriter, "%s %s: %d\n", method, path, r.Status)
	return r
}

// must calls the API and expects the status.
func (c *client) must(status int, method, path, token string, body any, into any) {
	GinkgoHelper()
	r := c.do(method, path, token, body)
	Expect(r.Status).To(Equal(status), "%s %s: %s", method, path, r.Raw)
	if into != nil {
		Expect(json.Unmarshal(r.Data, into)).To(Succeed(), "%s", r.Data)
	}
}

func (c *client) signUp(role string) (int64, string) {
	GinkgoHelper()
	var d struct {
		User struct {
			ID int64 `json:"id"`
		} `json:"user"`
		Token string `json:"token"`
	}
	email := fmt.Sprintf("%s-%d@example.com", role, time.Now().UnixNano())
	c.must(http.StatusCreated, "POST", "/api/v1/auth/register", "",
		map[string]string{"email": email, "password": "password123", "name": "E2E " + role, "role": role}, &d)
	return d.User.ID, d.Token
}

// checkFlow: an organizer creates and publishes an event; an attendee registers for it and
// finds it by search; a websocket on the event's channel sees the seat count move when a
// second attendee registers; recommendations answer.
func (c *client) checkFlow() {
	GinkgoHelper()
	_, c.organizer = c.signUp("organizer")
	c.attendeeID, c.attendee = c.signUp("attendee")
	c.word = fmt.Sprintf("Kubelet%d", time.Now().UnixNano()%1e6)
	c.capacity = 50
	var e struct {
		ID int64 `json:"id"`
	}
	c.must(http.StatusCreated, "POST", "/api/v1/events", c.organizer, map[string]any{
		"title": c.word + " quartet", "description": "Chamber music on a single node.", "category": "music",
		"date": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339), "location": map[string]string{"city": "Lisbon"},
		"capacity": c.capacity, "tags": []string{"jazz", "e2e"},
	}, &e)
	c.eventID = e.ID
	var published struct {
		Status     string `json:"status"`
		Moderation string `json:"moderation"`
	}
	c.must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/events/%d/publish", e.ID), c.organizer, nil, &published)
	Expect(published.Moderation).To(Equal("approved"), "MODERATION_TRUST_AFTER=0 trusts every organizer")

	c.must(http.StatusCreated, "POST", fmt.Sprintf("/api/v1/events/%d/registrations", e.ID), c.attendee, nil, nil)
	c.registrants = 1
	c.checkSearch()
	c.checkSeats()

	var recs struct {
		Recommendations []struct {
			ID int64 `json:"id"`
		} `json:"recommendations"`
	}
	c.must(http.StatusOK, "GET", "/api/v1/recommendations/events?limit=10", c.attendee, nil, &recs)
	Eventually(func() []int64 {
		// Each try a new attendee: a user's first page is cached for a while.
		_, fresh := c.signUp("attendee")
		c.must(http.StatusOK, "GET", "/api/v1/recommendations/events?limit=50&city=Lisbon", fresh, nil, &recs)
		ids := []int64{}
		for _, r := range recs.Recommendations {
			ids = append(ids, r.ID)
		}
		return ids
	}, time.Minute, 2*time.Second).Should(ContainElement(c.eventID), "a popular event in the city is recommended to a new attendee")

	// Bad input is a 4xx in the envelope, through every hop.
	bad := c.do("POST", "/api/v1/events", c.organizer, map[string]any{"title": ""})
	Expect(bad.Status).To(BeNumerically(">=", 400))
	Expect(bad.Status).To(BeNumerically("<", 500))
	Expect(bad.Success).To(BeFalse())
	Expect(bad.Error.Code).NotTo(BeEmpty(), "%s", bad.Raw)
}

// checkSearch finds the flow's event by a word of its title (search follows the events
// service's changes, so it may take a moment).
func (c *client) checkSearch() {
	GinkgoHelper()
	Eventually(func() []int64 {
		var found []struct {
			ID int64 `json:"id"`
		}
		c.must(http.StatusOK, "GET", "/api/v1/search/events?q="+c.word, c.attendee, nil, &found)
		ids := []int64{}
		for _, e := range found {
			ids = append(ids, e.ID)
		}
		return ids
	}, time.Minute, time.Second).Should(ContainElement(c.eventID))
}

// checkSeats opens a websocket through the gateway, joins the event's channel, registers a
// new attendee and waits for the seat count to show it.
func (c *client) checkSeats() {
	GinkgoHelper()
	ws := gocent.NewJsonClient("ws"+strings.TrimPrefix(c.api.Base, "http")+"/ws",
		gocent.Config{Header: http.Header{"Authorization": {"Bearer " + c.attendee}}})
	defer ws.Close()
	Expect(ws.Connect()).To(Succeed())
	sub, err := ws.NewSubscription(fmt.Sprintf("event:%d", c.eventID))
	Expect(err).NotTo(HaveOccurred())
	subscribed := make(chan error, 2)
	seats := make(chan []byte, 16)
	sub.OnSubscribed(func(gocent.SubscribedEvent) { subscribed <- nil })
	sub.OnError(func(e gocent.SubscriptionErrorEvent) { subscribed <- e.Error })
	sub.OnPublication(func(e gocent.PublicationEvent) { seats <- e.Data })
	Expect(sub.Subscribe()).To(Succeed())
	Eventually(subscribed, 15*time.Second).Should(Receive(BeNil()))

	_, second := c.signUp("attendee")
	c.must(http.StatusCreated, "POST", fmt.Sprintf("/api/v1/events/%d/registrations", c.eventID), second, nil, nil)
	c.registrants++
	want := c.capacity - c.registrants
	deadline := time.After(30 * time.Second)
	for {
		select {
		case b := <-seats:
			var p struct {
				Type string `json:"type"`
				Data struct {
					Registered int  `json:"registered"`
					SeatsLeft  *int `json:"seats_left"`
				} `json:"data"`
			}
			Expect(json.Unmarshal(b, &p)).To(Succeed(), "%s", b)
			fmt.Fprintf(GinkgoWriter, "websocket: %s\n", b)
			if p.Type == "event.seats" && p.Data.SeatsLeft != nil && *p.Data.SeatsLeft == want {
				Expect(p.Data.Registered).To(Equal(c.registrants))
				return
			}
		case <-deadline:
			Fail(fmt.Sprintf("no event.seats publication with %d seats left within 30 s", want))
		}
	}
}

// checkStillThere: after a rollout, a lost pod or a new install on the kept data, what the
// flow made is still served to the same signed-in users, and the API still takes writes.
func (c *client) checkStillThere() {
	GinkgoHelper()
	c.reconnect()
	var e struct {
		ID     int64  `json:"id"`
		Title  string `json:"title"`
		Status string `json:"status"`
	}
	c.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/events/%d", c.eventID), c.attendee, nil, &e)
	Expect(e.Title).To(ContainSubstring(c.word))
	var mine []struct {
		Event struct {
			ID int64 `json:"id"`
		} `json:"event"`
	}
	c.must(http.StatusOK, "GET", "/api/v1/users/me/registrations", c.attendee, nil, &mine)
	kept := false
	for _, r := range mine {
		kept = kept || r.Event.ID == c.eventID
	}
	Expect(kept).To(BeTrue(), "the attendee's registration is kept")
	_, newcomer := c.signUp("attendee")
	c.must(http.StatusCreated, "POST", fmt.Sprintf("/api/v1/events/%d/registrations", c.eventID), newcomer, nil, nil)
	c.registrants++
}
