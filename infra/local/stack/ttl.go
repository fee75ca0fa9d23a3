package stack

import (
	"time"
)

// ttlInterval is how often, in real time, the embedded DynamoDB deletes the items whose TTL has
// passed on the stack's clock. DynamoDB deletes expired items in the background, typically within a
// few days, and until then they are still read; the code checks expiry itself, so any delay is right.
const ttlInterval = 30 * time.Second

// ttlSweeper runs TTL's background deletion on the embedded DynamoDB.
type ttlSweeper struct {
	stop, done chan struct{}
}

// startTTL starts TTL's background deletion on the embedded DynamoDB, by the stack's clock (so time
// travel expires items as the days pass). Deletions count as changes for the data directory.
func (s *Stack) startTTL() {
	if s.ddb == nil {
		return
	}
	t := &ttlSweeper{stop: make(chan struct{}), done: make(chan struct{})}
	s.ttl = t
	go func() {
		defer close(t.done)
		tick := time.NewTicker(ttlInterval)
		defer tick.Stop()
		for {
			select {
			case <-t.stop:
				return
			case <-tick.C:
				s.expireItems()
			}
		}
	}()
}

// expireItems deletes the expired items now.
func (s *Stack) expireItems() int {
	n := s.ddb.ExpireItems(s.Clock.Now())
	if n > 0 {
		s.log.Debug("TTL deleted expired items", "items", n)
		if s.persist != nil {
			s.persist.tableWrites.add()
		}
	}
	return n
}

// stopTTL stops the background deletion and waits for a sweep in progress.
func (s *Stack) stopTTL() {
	if s.ttl != nil {
		close(s.ttl.stop)
		<-s.ttl.done
		s.ttl = nil
	}
}
