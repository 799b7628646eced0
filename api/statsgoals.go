package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/visits"
)

// goalKeeper keeps the conversion goals; visits.Service is one.
type goalKeeper interface {
	CreateGoal(ctx context.Context, g visits.Goal) (visits.Goal, error)
	Goals(ctx context.Context) ([]visits.Goal, error)
	DeleteGoal(ctx context.Context, id uuid.UUID) error
}

// goalEditors are the staff who read the figures: analysts and admins.
var goalEditors = staffWith(identity.RoleAnalyst)

type statsGoal struct {
	ID        string    `json:"id" format:"uuid"`
	Name      string    `json:"name" example:"Donated"`
	EventName string    `json:"event_name,omitempty" example:"donate-completed" doc:"The custom event that reaches the goal."`
	PagePath  string    `json:"page_path,omitempty" example:"/donate/thanks" doc:"The page path that reaches the goal; * stands for any text within a segment, ** for any text."`
	CreatedAt time.Time `json:"created_at"`
}

type statsGoalList struct {
	Items []statsGoal `json:"items" doc:"The goals."`
	Goals []statsGoal `json:"goals" deprecated:"true" doc:"The same as items, under its 1.0 name. Deprecated since 1.2.0: read items; goals goes in 2.0.0."`
}

type createGoalInput struct {
	Body struct {
		Name      string `json:"name" minLength:"1" maxLength:"60" example:"Donated" doc:"How reports name the goal (the value of the goal dimension and of goal filters)."`
		EventName string `json:"event_name,omitempty" maxLength:"60" example:"donate-completed" doc:"A custom event's name. Give this or page_path."`
		PagePath  string `json:"page_path,omitempty" maxLength:"200" example:"/donate/thanks" doc:"A page path, where * stands for any text within a segment and ** for any text (/news/** is every news page). Give this or event_name."`
	}
}

type goalIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Goal ID."`
}

func goalBody(g visits.Goal) statsGoal {
	return statsGoal{ID: g.ID.String(), Name: g.Name, EventName: g.EventName, PagePath: g.PagePath, CreatedAt: g.CreatedAt}
}

func registerStatsGoals(hapi huma.API, goals goalKeeper) {
	tags := []string{"Statistics"}
	register(hapi, statsAccess, huma.Operation{
		OperationID: "list-stats-goals",
		Method:      http.MethodGet,
		Path:        "/v1/stats/goals",
		Summary:     "List conversion goals",
		Description: "The goals staff defined, by name. Use a goal's name with the `goal` dimension, a `goal` filter and the `conversion_rate` metric of `POST /v1/stats/query`.",
		Tags:        tags,
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body statsGoalList }, error) {
		list, err := goals.Goals(ctx)
		if err != nil {
			return nil, err
		}
		out := statsGoalList{Goals: make([]statsGoal, len(list))}
		for i, g := range list {
			out.Goals[i] = goalBody(g)
		}
		out.Items = out.Goals
		return &struct{ Body statsGoalList }{Body: out}, nil
	})

	register(hapi, goalEditors, huma.Operation{
		OperationID:   "create-stats-goal",
		Method:        http.MethodPost,
		Path:          "/v1/stats/goals",
		Summary:       "Define a conversion goal",
		Description:   "A custom event (`donate-completed`) or a page path (`/donate/thanks`, `/join/**`) that counts as a conversion. Goals are counted from raw events, so a new goal counts the visits of the raw events kept (400 days by default) too. At most 100 goals (`409 too-many-goals`); names are unique (`409 goal-exists`).",
		Tags:          tags,
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict},
	}, func(ctx context.Context, in *createGoalInput) (*struct{ Body statsGoal }, error) {
		g, err := goals.CreateGoal(ctx, visits.Goal{Name: in.Body.Name, EventName: in.Body.EventName, PagePath: in.Body.PagePath})
		if err != nil {
			return nil, err
		}
		return &struct{ Body statsGoal }{Body: goalBody(g)}, nil
	})

	register(hapi, goalEditors, huma.Operation{
		OperationID:   "delete-stats-goal",
		Method:        http.MethodDelete,
		Path:          "/v1/stats/goals/{id}",
		Summary:       "Delete a conversion goal",
		Description:   "Reports stop offering the goal; no figures are lost (goals are counted from raw events).",
		Tags:          tags,
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound},
	}, func(ctx context.Context, in *goalIDInput) (*struct{}, error) {
		id, err := parseID(in.ID, "goal")
		if err != nil {
			return nil, err
		}
		return nil, goals.DeleteGoal(ctx, id)
	})
}
