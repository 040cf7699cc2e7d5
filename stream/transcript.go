package stream

// Transcript rebuilds, from the events of a subscription, the text a reader
// should show for each call: it drops the partial text of an attempt when a
// [KindReset] (or any event of a later attempt) arrives, and ignores late
// events of an attempt already superseded. The zero value is ready to use;
// it is not safe for concurrent use.
type Transcript struct {
	answers map[string]*Answer // by topic and call
	latest  map[string]string  // topic -> key of its latest call
}

// Answer is the text of one call as the stream shows it so far.
type Answer struct {
	// Topic and Call identify the call (see [Event]).
	Topic, Call string
	// Attempt is the attempt the text belongs to.
	Attempt int32
	// Text is the attempt's text so far.
	Text string
	// Ended: the attempt ended with a [KindEnd].
	Ended bool
	// Failed: the attempt ended with a [KindFailed]; Reason says why.
	Failed bool
	// Reason is the reason of the last reset or failure.
	Reason string
	// Resets counts the attempts whose text was discarded.
	Resets int
}

// Apply adds ev to the transcript. Events of other kinds are ignored.
func (t *Transcript) Apply(ev Event) {
	switch ev.Kind {
	case KindDelta, KindReset, KindFailed, KindEnd:
	default:
		return
	}
	if t.answers == nil {
		t.answers, t.latest = map[string]*Answer{}, map[string]string{}
	}
	key := ev.Topic + "\x00" + ev.Call
	a, ok := t.answers[key]
	if !ok {
		a = &Answer{Topic: ev.Topic, Call: ev.Call, Attempt: ev.Attempt}
		t.answers[key] = a
		t.latest[ev.Topic] = key
	}
	switch {
	case ev.Attempt < a.Attempt:
		return // a late event of a superseded attempt
	case ev.Attempt > a.Attempt:
		a.Attempt, a.Ended, a.Failed = ev.Attempt, false, false
		if a.Text != "" || ev.Kind == KindReset {
			a.Resets++
		}
		a.Text = ""
		if ev.Kind == KindReset {
			a.Reason = ev.Reason
			return
		}
	}
	switch ev.Kind {
	case KindDelta:
		a.Text += ev.Text
	case KindReset:
		a.Text, a.Ended, a.Failed, a.Reason = "", false, false, ev.Reason
		a.Resets++
	case KindFailed:
		a.Failed, a.Reason = true, ev.Reason
	case KindEnd:
		a.Ended = true
	}
}

// Latest returns the answer of the latest call seen on topic.
func (t *Transcript) Latest(topic string) (Answer, bool) {
	key, ok := t.latest[topic]
	if !ok {
		return Answer{}, false
	}
	return *t.answers[key], true
}
