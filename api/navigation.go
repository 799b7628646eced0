package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/content"
)

type navigationService interface {
	MenuForEditing(ctx context.Context, menu content.Menu) (*content.Links[content.NavigationItem], error)
	ReplaceMenu(ctx context.Context, menu content.Menu, pre content.Precondition, items []content.NavigationItem) (*content.Links[content.NavigationItem], error)
	CallsToActionForEditing(ctx context.Context) (*content.Links[content.CallToAction], error)
	ReplaceCallsToAction(ctx context.Context, pre content.Precondition, items []content.CallToAction) (*content.Links[content.CallToAction], error)
}

type navigation struct {
	Header []navEntry `json:"header" doc:"The header menu, in order."`
	Footer []navEntry `json:"footer" doc:"The footer menu, in order."`
}

// MenuPath names a menu in the path (exported so huma sees its field when
// it is embedded).
type MenuPath struct {
	Menu string `path:"menu" enum:"header,footer" doc:"Which menu."`
}

type editableNavEntry struct {
	Label      string `json:"label" minLength:"1" maxLength:"100" example:"About us"`
	PageSlug   string `json:"page_slug,omitempty" maxLength:"100" example:"about-us" doc:"The page the entry leads to (any status: it shows once the page is public). Give this or url."`
	URL        string `json:"url,omitempty" maxLength:"2000" example:"https://example.org" doc:"An absolute http(s) or mailto: URL, or a path on the site starting with /. Give this or page_slug."`
	PagePublic bool   `json:"page_public,omitempty" readOnly:"true" doc:"In responses: whether the linked page is public (entries to other pages are hidden)."`
}

type menuBody struct {
	Items []editableNavEntry `json:"items" maxItems:"30"`
}

type menuOutput struct {
	ETag string `header:"ETag" doc:"Send it in If-Match to replace this version of the menu."`
	Body menuBody
}

func menuOut(l *content.Links[content.NavigationItem]) *menuOutput {
	out := &menuOutput{ETag: l.ETag, Body: menuBody{Items: make([]editableNavEntry, len(l.Items))}}
	for i, it := range l.Items {
		out.Body.Items[i] = editableNavEntry{Label: it.Label, PageSlug: it.PageSlug, URL: it.URL, PagePublic: it.PagePublic}
	}
	return out
}

type menuReplaceInput struct {
	MenuPath
	IfMatch string `header:"If-Match" maxLength:"1024" doc:"The menu's ETag as you read it. Required."`
	Body    menuBody
}

type editableCallToAction struct {
	Key         string `json:"key" minLength:"1" maxLength:"60" pattern:"^[a-z0-9]+(-[a-z0-9]+)*$" example:"join"`
	Title       string `json:"title" minLength:"1" maxLength:"100" example:"Join us as a member"`
	Text        string `json:"text" maxLength:"2000"`
	ButtonLabel string `json:"button_label" minLength:"1" maxLength:"60" example:"Join us"`
	PageSlug    string `json:"page_slug,omitempty" maxLength:"100" doc:"The page the button leads to (shown once public); or give url, or neither."`
	URL         string `json:"url,omitempty" maxLength:"2000" doc:"An absolute http(s) or mailto: URL, or a path on the site starting with /."`
	PagePublic  bool   `json:"page_public,omitempty" readOnly:"true" doc:"In responses: whether the linked page is public."`
}

type callsToActionBody struct {
	Items []editableCallToAction `json:"items" maxItems:"10"`
}

type callsToActionOutput struct {
	ETag string `header:"ETag" doc:"Send it in If-Match to replace this version of the list."`
	Body callsToActionBody
}

func callsToActionOut(l *content.Links[content.CallToAction]) *callsToActionOutput {
	out := &callsToActionOutput{ETag: l.ETag, Body: callsToActionBody{Items: make([]editableCallToAction, len(l.Items))}}
	for i, c := range l.Items {
		out.Body.Items[i] = editableCallToAction{Key: c.Key, Title: c.Title, Text: c.Text, ButtonLabel: c.ButtonLabel,
			PageSlug: c.PageSlug, URL: c.URL, PagePublic: c.PagePublic}
	}
	return out
}

type callsToActionReplaceInput struct {
	IfMatch string `header:"If-Match" maxLength:"1024" doc:"The list's ETag as you read it. Required."`
	Body    callsToActionBody
}

func registerNavigation(hapi huma.API, site siteReader, links contentService) {
	encoded := newEncodedCache()
	register(hapi, public, huma.Operation{
		OperationID: "get-navigation",
		Method:      http.MethodGet,
		Path:        "/v1/navigation",
		Summary:     "Get the navigation menus",
		Description: "The header and footer menus, in order; entries leading to pages that are not public are left out. The same menus are in GET /v1/site. Supports `If-None-Match`.",
		Tags:        []string{"Navigation"},
		Errors:      []int{http.StatusNotFound},
		Responses:   encodedResponses[navigation](hapi, "The menus."),
		Metadata:    map[string]any{cacheableKey: true},
	}, func(ctx context.Context, in *ConditionalGet) (*encodedOutput, error) {
		s, err := site.Site(ctx)
		if err != nil {
			return nil, err
		}
		return publicDocument(in.IfNoneMatch, s.Version, site.NextChange(), func() []byte {
			return encoded.get(s.Version, func() any {
				return menusBody(navigationBody(s.Navigation))
			})
		})
	})

	register(hapi, editors, huma.Operation{
		OperationID: "get-menu",
		Method:      http.MethodGet,
		Path:        "/v1/navigation/{menu}",
		Summary:     "Get a menu, for editing",
		Description: "Every entry of the menu, including those leading to pages that are not public yet, and the ETag a replacement needs.",
		Tags:        []string{"Navigation"},
	}, func(ctx context.Context, in *MenuPath) (*menuOutput, error) {
		l, err := links.MenuForEditing(ctx, content.Menu(in.Menu))
		if err != nil {
			return nil, err
		}
		return menuOut(l), nil
	})

	register(hapi, editors, huma.Operation{
		OperationID: "replace-menu",
		Method:      http.MethodPut,
		Path:        "/v1/navigation/{menu}",
		Summary:     "Replace a menu",
		Description: "The items sent become the whole menu, in that order. Needs the menu's `ETag` in `If-Match` (428 without it, 412 `stale-version` if someone changed it since). " +
			"An entry naming a page that does not exist is 422; pages linked from a menu cannot be deleted.",
		Tags:   []string{"Navigation"},
		Errors: []int{http.StatusPreconditionFailed, http.StatusPreconditionRequired},
	}, func(ctx context.Context, in *menuReplaceInput) (*menuOutput, error) {
		pre, err := requirePrecondition(in.IfMatch)
		if err != nil {
			return nil, err
		}
		items := make([]content.NavigationItem, len(in.Body.Items))
		for i, it := range in.Body.Items {
			items[i] = content.NavigationItem{Label: it.Label, PageSlug: it.PageSlug, URL: it.URL}
		}
		l, err := links.ReplaceMenu(ctx, content.Menu(in.Menu), pre, items)
		if err != nil {
			return nil, err
		}
		return menuOut(l), nil
	})

	register(hapi, editors, huma.Operation{
		OperationID: "get-calls-to-action",
		Method:      http.MethodGet,
		Path:        "/v1/calls-to-action",
		Summary:     "Get the calls to action, for editing",
		Description: "Join, donate, get in touch…: every call to action with its link whatever the linked page's status, and the ETag a replacement needs. The public reads them in GET /v1/site.",
		Tags:        []string{"Site"},
	}, func(ctx context.Context, _ *struct{}) (*callsToActionOutput, error) {
		l, err := links.CallsToActionForEditing(ctx)
		if err != nil {
			return nil, err
		}
		return callsToActionOut(l), nil
	})

	register(hapi, editors, huma.Operation{
		OperationID: "replace-calls-to-action",
		Method:      http.MethodPut,
		Path:        "/v1/calls-to-action",
		Summary:     "Replace the calls to action",
		Description: "The items sent become the whole list, in that order. Needs the list's `ETag` in `If-Match` (428 without it, 412 `stale-version` if someone changed it since).",
		Tags:        []string{"Site"},
		Errors:      []int{http.StatusPreconditionFailed, http.StatusPreconditionRequired},
	}, func(ctx context.Context, in *callsToActionReplaceInput) (*callsToActionOutput, error) {
		pre, err := requirePrecondition(in.IfMatch)
		if err != nil {
			return nil, err
		}
		items := make([]content.CallToAction, len(in.Body.Items))
		for i, c := range in.Body.Items {
			items[i] = content.CallToAction{Key: c.Key, Title: c.Title, Text: c.Text, ButtonLabel: c.ButtonLabel, PageSlug: c.PageSlug, URL: c.URL}
		}
		l, err := links.ReplaceCallsToAction(ctx, pre, items)
		if err != nil {
			return nil, err
		}
		return callsToActionOut(l), nil
	})
}
