package api

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/members"
)

var membershipStaff = staffWith(identity.RoleMembership)

type memberListInput struct {
	PageQuery
	Status   string   `query:"status" enum:"pending,active,unsubscribed,erased"`
	Interest Interest `query:"interest"`
	Audience string   `query:"audience" maxLength:"60"`
	Source   string   `query:"source" enum:"site,partner,import,staff"`
	DateRangeQuery
	JoinedFrom time.Time `query:"joined_from" deprecated:"true" doc:"Only signups at or after this time. Deprecated since 1.2.0: use from (the UK date they joined on or after); joined_from goes in 2.0.0."`
	JoinedTo   time.Time `query:"joined_to" deprecated:"true" doc:"Only signups before this time. Deprecated since 1.2.0: use to; joined_to goes in 2.0.0."`
	Q          string    `query:"q" maxLength:"200" doc:"An exact email address, or part of a name."`
}

type memberPage struct {
	Items      []memberProfile `json:"items"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

type memberCursor struct {
	Created time.Time `json:"c"`
	ID      uuid.UUID `json:"i"`
}

type memberIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Member ID."`
}

type memberUpdateInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Member ID."`
	Body ProfileChangeFields
}

type noteInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Member ID."`
	Body struct {
		Body string `json:"body" minLength:"1" maxLength:"5000"`
	}
}

type count struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

type memberStats struct {
	ByStatus     []count `json:"by_status"`
	ByInterest   []count `json:"by_interest" doc:"Active members by interest."`
	ByAudience   []count `json:"by_audience" doc:"Active members by audience."`
	BySource     []count `json:"by_source" doc:"Active members by source."`
	JoinsByMonth []count `json:"joins_by_month" doc:"Confirmed joins per month (YYYY-MM, Europe/London)."`
}

func counts(cs []members.Count) []count {
	out := make([]count, len(cs))
	for i, c := range cs {
		out[i] = count{Key: c.Key, Count: c.N}
	}
	return out
}

type exportInput struct {
	Purpose  string `query:"purpose" required:"true" maxLength:"60" example:"interest:surveys" doc:"membership, or interest:<interest>: only members whose current consent covers it are exported."`
	Audience string `query:"audience" maxLength:"60"`
}

// documentOutput is a whole document in the content type it names: a CSV
// file, or a statistics report as JSON (unless CSV was asked for).
type documentOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Count              string `header:"X-Row-Count" doc:"Rows in the file, excluding the header."`
	Body               []byte
}

type importInput struct {
	DryRun  bool   `query:"dry_run" doc:"Check every row and report, importing nothing."`
	RawBody []byte `contentType:"text/csv" doc:"CSV with a header row: email,name,organisation,role_title,audiences,region,interests,consent_version (lists separated by ;). A header naming any other column, or one twice, is refused (422), rather than the column left out unseen."`
}

type importIssue struct {
	Row     int    `json:"row" doc:"Spreadsheet row number (the header is row 1)."`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

type importReport struct {
	DryRun     bool          `json:"dry_run"`
	Rows       int           `json:"rows"`
	Imported   int           `json:"imported"`
	Duplicates []importIssue `json:"duplicates" doc:"Skipped: already members (or erased at their owner's request), or repeated in the file."`
	Errors     []importIssue `json:"errors" doc:"If any, nothing was imported."`
}

func issues(in []members.ImportIssue) []importIssue {
	out := make([]importIssue, len(in))
	for i, x := range in {
		out[i] = importIssue{Row: x.Row, Field: x.Field, Message: x.Message}
	}
	return out
}

func registerMemberAdmin(hapi huma.API, svc membersService) {
	register(hapi, membershipStaff, huma.Operation{
		OperationID: "list-members",
		Method:      http.MethodGet,
		Path:        "/v1/members",
		Summary:     "List and search members",
		Description: "Newest first, filtered, cursor-paginated. Audited.",
		Tags:        []string{"Members admin"},
	}, func(ctx context.Context, in *memberListInput) (*struct{ Body memberPage }, error) {
		joinedFrom, joinedTo, err := in.narrow(in.JoinedFrom, in.JoinedTo)
		if err != nil {
			return nil, err
		}
		f := members.Filter{Status: in.Status, Interest: string(in.Interest), Audience: in.Audience, Source: in.Source,
			JoinedFrom: joinedFrom, JoinedTo: joinedTo, Query: in.Q, Limit: in.Limit}
		var cur memberCursor
		if err := decodeCursor(in.Cursor, &cur); err != nil {
			return nil, err
		}
		f.AfterCreated, f.AfterID = cur.Created, cur.ID
		list, err := svc.List(ctx, f)
		if err != nil {
			return nil, err
		}
		var page memberPage
		page.Items, page.NextCursor = pageOf(list, in.Limit, memberProfileBody, func(last *members.Member) any {
			return memberCursor{Created: last.CreatedAt, ID: last.ID}
		})
		return &struct{ Body memberPage }{Body: page}, nil
	})

	register(hapi, staffWith(identity.RoleMembership, identity.RoleAnalyst), huma.Operation{
		OperationID: "get-member-stats",
		Method:      http.MethodGet,
		Path:        "/v1/members/stats",
		Summary:     "Membership figures",
		Description: "Counts by status, interest, audience and source, and joins per month. No personal data.",
		Tags:        []string{"Members admin"},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body memberStats }, error) {
		st, err := svc.Stats(ctx)
		if err != nil {
			return nil, err
		}
		return &struct{ Body memberStats }{Body: memberStats{ByStatus: counts(st.ByStatus), ByInterest: counts(st.ByInterest),
			ByAudience: counts(st.ByAudience), BySource: counts(st.BySource), JoinsByMonth: counts(st.JoinsByMonth)}}, nil
	})

	register(hapi, membershipStaff, huma.Operation{
		OperationID: "export-members",
		Method:      http.MethodGet,
		Path:        "/v1/members/export",
		Summary:     "Export a consenting segment as CSV",
		Description: "Active members whose current consent covers the purpose (and of the audience, if given), as CSV for a spreadsheet. Cells that a spreadsheet would run as formulas are defused. Audited with the purpose and row count.",
		Tags:        []string{"Members admin"},
		Responses: map[string]*huma.Response{"200": {Description: "CSV, one row per member.",
			Content: map[string]*huma.MediaType{"text/csv": {Schema: &huma.Schema{Type: "string"}}}}},
	}, func(ctx context.Context, in *exportInput) (*documentOutput, error) {
		b, n, err := svc.ExportSegment(ctx, in.Purpose, in.Audience)
		if err != nil {
			return nil, err
		}
		return &documentOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="hpa-members.csv"`, Count: strconv.Itoa(n), Body: b}, nil
	})

	register(hapi, membershipStaff, huma.Operation{
		OperationID:  "import-members",
		Method:       http.MethodPost,
		Path:         "/v1/members/import",
		Summary:      "Import members from CSV",
		Description:  "All or nothing: if any row is invalid, nothing is imported and the report lists every problem by row. Addresses already members, or repeated in the file, are skipped and reported; so are addresses whose owners asked HPA to erase their data (only they can join again, by signing up). Use dry_run=true first. Imported people must have agreed to the current consent texts; they are active at once (no confirmation email).",
		Tags:         []string{"Members admin"},
		MaxBodyBytes: 16 << 20,
	}, func(ctx context.Context, in *importInput) (*struct{ Body importReport }, error) {
		r, err := svc.Import(ctx, bytes.NewReader(in.RawBody), in.DryRun)
		if err != nil {
			return nil, err
		}
		return &struct{ Body importReport }{Body: importReport{DryRun: r.DryRun, Rows: r.Rows, Imported: r.Imported, Duplicates: issues(r.Duplicates), Errors: issues(r.Errors)}}, nil
	})

	register(hapi, membershipStaff, huma.Operation{
		OperationID: "get-member",
		Method:      http.MethodGet,
		Path:        "/v1/members/{id}",
		Summary:     "A member's record",
		Description: "Profile, consent history and notes; special-category details for the membership role (and admins). Audited.",
		Tags:        []string{"Members admin"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *memberIDInput) (*struct{ Body memberRecord }, error) {
		id, err := parseID(in.ID, "member")
		if err != nil {
			return nil, err
		}
		r, err := svc.Get(ctx, id, callerFrom(ctx).HasRole(identity.RoleMembership))
		if err != nil {
			return nil, err
		}
		return &struct{ Body memberRecord }{Body: memberRecordBody(r)}, nil
	})

	register(hapi, membershipStaff, huma.Operation{
		OperationID: "update-member",
		Method:      http.MethodPatch,
		Path:        "/v1/members/{id}",
		Summary:     "Change a member's details",
		Description: "For changes a member asks for by phone or letter. Consent changes are recorded with source staff. Audited.",
		Tags:        []string{"Members admin"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *memberUpdateInput) (*struct{ Body memberProfile }, error) {
		id, err := parseID(in.ID, "member")
		if err != nil {
			return nil, err
		}
		m, err := svc.UpdateByStaff(ctx, id, in.Body.toChange())
		if err != nil {
			return nil, err
		}
		return &struct{ Body memberProfile }{Body: memberProfileBody(m)}, nil
	})

	register(hapi, membershipStaff, huma.Operation{
		OperationID:   "add-member-note",
		Method:        http.MethodPost,
		Path:          "/v1/members/{id}/notes",
		Summary:       "Add a note to a member",
		Description:   "Notes are part of what a member receives in a subject access export.",
		Tags:          []string{"Members admin"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound},
	}, func(ctx context.Context, in *noteInput) (*struct{ Body memberNote }, error) {
		id, err := parseID(in.ID, "member")
		if err != nil {
			return nil, err
		}
		n, err := svc.AddNote(ctx, id, callerFrom(ctx).ID, in.Body.Body)
		if err != nil {
			return nil, err
		}
		return &struct{ Body memberNote }{Body: memberNote{ID: n.ID, AuthorID: n.AuthorID.String(), Body: n.Body, CreatedAt: n.CreatedAt}}, nil
	})
}
