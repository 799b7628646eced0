package members

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// Whether an address is a member must not show in how long a public
// request takes. So signups and sign-in-link requests do the same work
// for every address, queueing a job, and the job looks the address up and
// decides what to write and send.

// SignupArgs is a signup waiting in member_signup_requests. The args name
// the row only: the signup itself is sealed there, and deleted when the job
// has handled it.
type SignupArgs struct {
	RequestID uuid.UUID `json:"request_id"`
}

// Kind implements river.JobArgs.
func (SignupArgs) Kind() string { return "members.signup" }

// SignInLinkArgs asks for a sign-in link for the address whose keyed hash
// (as in members.email_hash) it holds: never the address itself.
type SignInLinkArgs struct {
	EmailHash []byte `json:"email_hash"`
}

// Kind implements river.JobArgs.
func (SignInLinkArgs) Kind() string { return "members.sign_in_link" }

// AddWorkers registers membership's background workers.
func (s *Service) AddWorkers(workers *river.Workers) {
	river.AddWorker(workers, &signupWorker{s: s})
	river.AddWorker(workers, &signInLinkWorker{s: s})
}

type signupWorker struct {
	river.WorkerDefaults[SignupArgs]
	s *Service
}

// Work implements river.Worker.
func (w *signupWorker) Work(ctx context.Context, job *river.Job[SignupArgs]) error {
	return w.s.completeSignup(ctx, job.Args.RequestID)
}

type signInLinkWorker struct {
	river.WorkerDefaults[SignInLinkArgs]
	s *Service
}

// Work implements river.Worker.
func (w *signInLinkWorker) Work(ctx context.Context, job *river.Job[SignInLinkArgs]) error {
	return w.s.sendSignInLink(ctx, job.Args.EmailHash)
}

// signupRequest is what a queued signup holds: the signup, and who made it
// and in which request, for the consent history and the audit log.
type signupRequest struct {
	Signup    Signup
	Actor     audit.Actor
	RequestID string
}

func signupRequestContext(id uuid.UUID) string { return "member_signup_requests:" + id.String() }

// queueSignup seals a validated signup into member_signup_requests and
// queues its job, in tx: two inserts whatever the address.
func (s *Service) queueSignup(ctx context.Context, tx pgx.Tx, in Signup) error {
	plain, err := json.Marshal(signupRequest{Signup: in, Actor: audit.ActorFrom(ctx), RequestID: logging.RequestID(ctx)})
	if err != nil {
		return fmt.Errorf("queue signup: %w", err)
	}
	id := uuid.New()
	err = store.Q.MemberSignupRequestInsert(ctx, tx, store.MemberSignupRequestInsertParams{ID: id, PayloadSealed: s.ring.Seal(plain, signupRequestContext(id))})
	if err != nil {
		return fmt.Errorf("queue signup: %w", err)
	}
	if _, err := s.jobs.InsertTx(ctx, tx, SignupArgs{RequestID: id}, nil); err != nil {
		return fmt.Errorf("queue signup: %w", err)
	}
	return nil
}

// completeSignup carries out a queued signup and deletes it, in one
// transaction, so it happens once however often the job runs.
func (s *Service) completeSignup(ctx context.Context, id uuid.UUID) error {
	return s.withTx(ctx, func(tx pgx.Tx) error {
		sealed, err := store.Q.MemberSignupRequestTake(ctx, tx, id)
		if store.IsNotFound(err) {
			return nil // handled by an earlier run
		}
		if err != nil {
			return fmt.Errorf("complete signup: %w", err)
		}
		plain, err := s.ring.Open(sealed, signupRequestContext(id))
		if err != nil {
			return fmt.Errorf("complete signup %s: %w", id, err)
		}
		var req signupRequest
		if err := json.Unmarshal(plain, &req); err != nil {
			return fmt.Errorf("complete signup %s: %w", id, err)
		}
		ctx := audit.WithActor(logging.WithRequestID(ctx, req.RequestID), req.Actor)
		return s.signup(ctx, tx, req.Signup)
	})
}
