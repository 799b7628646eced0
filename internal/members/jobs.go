package members

import (
	"context"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
)

// Whether an address is a member must not show in how long a public
// request takes. So signups and sign-in-link requests do the same work
// for every address, queueing work (a signup in the signup queue, see
// queue.go; a sign-in link as a job), which looks the address up and
// decides what to write and send.

// legacySignupArgs is the job each signup had before the signup queue:
// it named a row of member_signup_requests, which the queue now carries
// out. Its worker stays so that jobs left by an earlier version finish.
type legacySignupArgs struct {
	RequestID uuid.UUID `json:"request_id"`
}

// Kind implements river.JobArgs.
func (legacySignupArgs) Kind() string { return "members.signup" }

// SignInLinkArgs asks for a sign-in link for the address whose keyed hash
// (as in members.email_hash) it holds: never the address itself.
type SignInLinkArgs struct {
	EmailHash []byte `json:"email_hash"`
}

// Kind implements river.JobArgs.
func (SignInLinkArgs) Kind() string { return "members.sign_in_link" }

// AddWorkers registers membership's background workers.
func (s *Service) AddWorkers(workers *river.Workers) {
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[legacySignupArgs]) error { return nil }))
	river.AddWorker(workers, &signInLinkWorker{s: s})
}

type signInLinkWorker struct {
	river.WorkerDefaults[SignInLinkArgs]
	s *Service
}

// Work implements river.Worker.
func (w *signInLinkWorker) Work(ctx context.Context, job *river.Job[SignInLinkArgs]) error {
	return w.s.sendSignInLink(ctx, job.Args.EmailHash)
}
