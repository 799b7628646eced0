package content

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Menu names a navigation menu.
type Menu string

// The site's menus.
const (
	MenuHeader Menu = "header"
	MenuFooter Menu = "footer"
)

// Menus lists every menu, in the order they are shown.
var Menus = []Menu{MenuHeader, MenuFooter}

// NavigationItem is one entry of a menu: a page or a URL.
type NavigationItem struct {
	Label      string
	PageSlug   string
	URL        string
	PagePublic bool
}

// CallToAction invites people to act (join, donate, get in touch), with a
// button leading to a page or a URL.
type CallToAction struct {
	Key         string
	Title       string
	Text        string
	ButtonLabel string
	PageSlug    string
	URL         string
	PagePublic  bool
}

// Links is an editable ordered list (a menu's items, the calls to action)
// with the validator an update must send back in If-Match.
type Links[T any] struct {
	Items []T
	ETag  string
}

func (s *Service) listMenus(ctx context.Context, db store.DBTX, now time.Time) (map[Menu][]NavigationItem, error) {
	rows, err := store.Q.NavigationItemList(ctx, db, now)
	if err != nil {
		return nil, fmt.Errorf("list navigation: %w", err)
	}
	menus := map[Menu][]NavigationItem{}
	for _, m := range Menus {
		menus[m] = []NavigationItem{}
	}
	for _, r := range rows {
		menus[Menu(r.Menu)] = append(menus[Menu(r.Menu)], NavigationItem{Label: r.Label, PageSlug: store.Text(r.PageSlug),
			URL: store.Text(r.Url), PagePublic: r.PagePublic})
	}
	return menus, nil
}

// publicMenus leaves out items that lead to pages the public cannot see.
func publicMenus(all map[Menu][]NavigationItem) map[Menu][]NavigationItem {
	out := map[Menu][]NavigationItem{}
	for menu, items := range all {
		out[menu] = []NavigationItem{}
		for _, it := range items {
			if it.PageSlug == "" || it.PagePublic {
				out[menu] = append(out[menu], it)
			}
		}
	}
	return out
}

// MenuForEditing returns a menu with every item, including those leading
// to pages that are not public yet.
func (s *Service) MenuForEditing(ctx context.Context, menu Menu) (*Links[NavigationItem], error) {
	menus, err := s.listMenus(ctx, s.db, s.now())
	if err != nil {
		return nil, err
	}
	items := menus[menu]
	return &Links[NavigationItem]{Items: items, ETag: quoted(versionOf(items))}, nil
}

// ReplaceMenu makes items the whole menu, in order, if the menu is still
// the version the editor read.
func (s *Service) ReplaceMenu(ctx context.Context, menu Menu, pre Precondition, items []NavigationItem) (*Links[NavigationItem], error) {
	err := s.write(ctx, func(tx pgx.Tx) error {
		if err := store.Q.ContentLockList(ctx, tx, "hpa.navigation"); err != nil {
			return fmt.Errorf("lock navigation: %w", err)
		}
		menus, err := s.listMenus(ctx, tx, s.now())
		if err != nil {
			return err
		}
		if err := pre.check(quoted(versionOf(menus[menu])), string(menu)+" menu"); err != nil {
			return err
		}
		if err := store.Q.NavigationItemDeleteMenu(ctx, tx, string(menu)); err != nil {
			return fmt.Errorf("clear menu: %w", err)
		}
		for i, it := range items {
			at := fmt.Sprintf("body.items[%d]", i)
			if err := checkText(map[string]string{at + ".label": it.Label}); err != nil {
				return err
			}
			if (it.PageSlug == "") == (it.URL == "") {
				return hpa.Invalid(at, "give either page_slug or url")
			}
			if it.URL != "" && !isLinkURL(it.URL) {
				return hpa.Invalid(at+".url", "must be an absolute http(s) or mailto: URL, or a path on this site starting with /")
			}
			pageID, err := resolvePage(ctx, tx, &it.PageSlug, at+".page_slug")
			if err != nil {
				return err
			}
			if err := store.Q.NavigationItemInsert(ctx, tx, store.NavigationItemInsertParams{Menu: string(menu), Position: int32(i + 1),
				Label: it.Label, PageID: pageID, Url: emptyAsNil(&it.URL)}); err != nil {
				return fmt.Errorf("store menu item: %w", err)
			}
		}
		return recordChange(ctx, tx, "navigation.update", "menu", string(menu), map[string]any{"items": len(items)})
	})
	if err != nil {
		return nil, err
	}
	return s.MenuForEditing(ctx, menu)
}

func (s *Service) listCallsToAction(ctx context.Context, db store.DBTX, now time.Time) ([]CallToAction, error) {
	rows, err := store.Q.CallToActionList(ctx, db, now)
	if err != nil {
		return nil, fmt.Errorf("list calls to action: %w", err)
	}
	out := make([]CallToAction, len(rows))
	for i, r := range rows {
		out[i] = CallToAction{Key: r.Key, Title: r.Title, Text: r.Text, ButtonLabel: r.ButtonLabel,
			PageSlug: store.Text(r.PageSlug), URL: store.Text(r.Url), PagePublic: r.PagePublic}
	}
	return out, nil
}

// publicCallsToAction drops links to pages the public cannot see; the
// invitation itself stays.
func publicCallsToAction(all []CallToAction) []CallToAction {
	out := make([]CallToAction, len(all))
	for i, c := range all {
		if !c.PagePublic {
			c.PageSlug = ""
		}
		out[i] = c
	}
	return out
}

// CallsToActionForEditing returns the calls to action with every link.
func (s *Service) CallsToActionForEditing(ctx context.Context) (*Links[CallToAction], error) {
	items, err := s.listCallsToAction(ctx, s.db, s.now())
	if err != nil {
		return nil, err
	}
	return &Links[CallToAction]{Items: items, ETag: quoted(versionOf(items))}, nil
}

// ReplaceCallsToAction makes items the whole list, in order, if it is
// still the version the editor read.
func (s *Service) ReplaceCallsToAction(ctx context.Context, pre Precondition, items []CallToAction) (*Links[CallToAction], error) {
	err := s.write(ctx, func(tx pgx.Tx) error {
		if err := store.Q.ContentLockList(ctx, tx, "hpa.calls_to_action"); err != nil {
			return fmt.Errorf("lock calls to action: %w", err)
		}
		current, err := s.listCallsToAction(ctx, tx, s.now())
		if err != nil {
			return err
		}
		if err := pre.check(quoted(versionOf(current)), "list of calls to action"); err != nil {
			return err
		}
		if err := store.Q.CallToActionDeleteAll(ctx, tx); err != nil {
			return fmt.Errorf("clear calls to action: %w", err)
		}
		seen := map[string]bool{}
		for i, c := range items {
			at := fmt.Sprintf("body.items[%d]", i)
			if err := checkText(map[string]string{at + ".title": c.Title, at + ".text": c.Text, at + ".button_label": c.ButtonLabel}); err != nil {
				return err
			}
			switch {
			case !slugPattern.MatchString(c.Key) || len(c.Key) > 60:
				return hpa.Invalid(at+".key", "must be lower-case letters, digits and single hyphens, such as join")
			case seen[c.Key]:
				return hpa.Invalid(at+".key", "appears twice")
			case c.PageSlug != "" && c.URL != "":
				return hpa.Invalid(at, "give page_slug or url, not both")
			case c.URL != "" && !isLinkURL(c.URL):
				return hpa.Invalid(at+".url", "must be an absolute http(s) or mailto: URL, or a path on this site starting with /")
			}
			seen[c.Key] = true
			pageID, err := resolvePage(ctx, tx, &c.PageSlug, at+".page_slug")
			if err != nil {
				return err
			}
			if err := store.Q.CallToActionInsert(ctx, tx, store.CallToActionInsertParams{Key: c.Key, Title: c.Title, Text: c.Text,
				ButtonLabel: c.ButtonLabel, PageID: pageID, Url: emptyAsNil(&c.URL), Position: int32(i + 1)}); err != nil {
				return fmt.Errorf("store call to action: %w", err)
			}
		}
		return recordChange(ctx, tx, "calls_to_action.update", "calls_to_action", "all", map[string]any{"items": len(items)})
	})
	if err != nil {
		return nil, err
	}
	return s.CallsToActionForEditing(ctx)
}

// isLinkURL accepts what a menu or a button may lead to: an absolute
// http(s) or mailto: URL, or a path on the site itself. Never javascript:
// or data: URLs, and never //host (another site posing as a path).
func isLinkURL(s string) bool {
	if strings.HasPrefix(s, "/") {
		return !strings.HasPrefix(s, "//") && !strings.ContainsAny(s, "\\ \t\r\n")
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	if u.Scheme == "mailto" {
		return u.Opaque != ""
	}
	return isWebURL(s)
}
