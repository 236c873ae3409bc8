package p2p

import (
	"fmt"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
)

// JoinTopic registers v as the validator of topic name on ps, joins the
// topic, subscribes to it and opens its peer-event handler. On an error
// nothing of it is left behind. LeaveTopic undoes it.
func JoinTopic(ps *pubsub.PubSub, name string, v pubsub.ValidatorEx, opts ...pubsub.TopicOpt) (*pubsub.Topic, *pubsub.Subscription, *pubsub.TopicEventHandler, error) {
	return joinTopic(ps, name, v, nil, opts...)
}

// JoinTopicInline is JoinTopic with v run inline, in gossipsub's
// validation workers (as many as CPUs), rather than in a goroutine of its
// own per message: for a validator that never blocks (no network, no
// waiting on locks held long), where a goroutine per message is only
// scheduling work.
func JoinTopicInline(ps *pubsub.PubSub, name string, v pubsub.ValidatorEx, opts ...pubsub.TopicOpt) (*pubsub.Topic, *pubsub.Subscription, *pubsub.TopicEventHandler, error) {
	return joinTopic(ps, name, v, []pubsub.ValidatorOpt{pubsub.WithValidatorInline(true)}, opts...)
}

func joinTopic(ps *pubsub.PubSub, name string, v pubsub.ValidatorEx, vopts []pubsub.ValidatorOpt, opts ...pubsub.TopicOpt) (*pubsub.Topic, *pubsub.Subscription, *pubsub.TopicEventHandler, error) {
	if err := ps.RegisterTopicValidator(name, v, vopts...); err != nil {
		return nil, nil, nil, fmt.Errorf("register validator of %s: %w", name, err)
	}
	t, err := ps.Join(name, opts...)
	if err != nil {
		_ = ps.UnregisterTopicValidator(name)
		return nil, nil, nil, fmt.Errorf("join %s: %w", name, err)
	}
	sub, err := t.Subscribe()
	if err != nil {
		_ = t.Close()
		_ = ps.UnregisterTopicValidator(name)
		return nil, nil, nil, fmt.Errorf("subscribe %s: %w", name, err)
	}
	ev, err := t.EventHandler()
	if err != nil {
		sub.Cancel()
		_ = t.Close()
		_ = ps.UnregisterTopicValidator(name)
		return nil, nil, nil, fmt.Errorf("events of %s: %w", name, err)
	}
	return t, sub, ev, nil
}

// LeaveTopic cancels what JoinTopic opened for topic name and removes its
// validator.
func LeaveTopic(ps *pubsub.PubSub, name string, t *pubsub.Topic, sub *pubsub.Subscription, ev *pubsub.TopicEventHandler) {
	sub.Cancel()
	ev.Cancel()
	_ = t.Close()
	_ = ps.UnregisterTopicValidator(name)
}
