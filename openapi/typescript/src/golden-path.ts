// The golden path: what the website does for the people who use it, run
// through the typed client against a live server (scripts/ts-golden-path.sh).
// Every request and response is typed from openapi/openapi.yaml: a contract
// change that breaks the website breaks `tsc --strict` or a check here.
import type { components } from "../schema.js";
import { api, bearer, check, env, expectEmpty, expectStatus, header, runId, sleep, step, tokenFromEmail } from "./support.js";

type Schemas = components["schemas"];

const siteOrigin = "http://localhost:3000";
const browserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

async function homePage(): Promise<void> {
  const site = expectStatus(await api.GET("/v1/site"), 200, "GET /v1/site");
  check(site.name.length > 0 && site.mission_statement.length > 0, "the site has no name or mission statement");
  check(site.restorative_questions.length > 0, "the site has no restorative questions");
  check(site.audiences.length > 0, "the site has no audiences");
  const nav = expectStatus(await api.GET("/v1/navigation"), 200, "GET /v1/navigation");
  check(Object.keys(nav).length > 0, "no menus");
  check(site.menus.header.length === nav.header.length && site.menus.footer.length === nav.footer.length, "the site's menus are not GET /v1/navigation's");
}

async function pageWithRevalidation(): Promise<void> {
  const first = await api.GET("/v1/pages/{slug}", { params: { path: { slug: "about-us" } } });
  const page: Schemas["PublicPage"] = expectStatus(first, 200, "GET /v1/pages/about-us");
  check(page.html.length > 0 && page.title.length > 0, "about-us has no title or html");
  const etag = header(first.response, "ETag");
  check(header(first.response, "Cache-Control").includes("max-age"), "about-us is not cacheable");
  const again = await api.GET("/v1/pages/{slug}", {
    params: { path: { slug: "about-us" }, header: { "If-None-Match": etag } },
  });
  check(again.response.status === 304, `revalidation: expected 304, got ${again.response.status}`);
  check(header(again.response, "ETag") === etag, "304 with another ETag");
}

async function search(): Promise<void> {
  const results = expectStatus(
    await api.GET("/v1/search", { params: { query: { q: "restorative culture", limit: 5 } } }),
    200,
    "GET /v1/search",
  );
  check(results.items.length > 0, "searching for restorative culture found nothing");
  check(results.items.some((hit) => hit.slug === "restorative-and-just-culture"), "the restorative culture page is not found");
}

async function enquiry(): Promise<void> {
  const form = expectStatus(await api.GET("/v1/enquiries/form-token"), 200, "GET /v1/enquiries/form-token");
  const audiences = expectStatus(await api.GET("/v1/audiences"), 200, "GET /v1/audiences");
  const received = expectStatus(
    await api.POST("/v1/enquiries", {
      body: {
        name: "Sam Golden",
        email: `enquiry-${runId}@golden-path.example.org`,
        topic: "general",
        message: "I would like to know how HPA supports families after a hospital death.",
        reply_consent: true,
        form_token: form.form_token,
        audience: audiences.items[0]?.key,
        website: "",
      },
    }),
    202,
    "POST /v1/enquiries",
  );
  check(received.status.length > 0, "enquiry not received");
}

/** Signs a person up, confirms from the emailed link and returns their member token. */
async function signupAndConfirm(email: string): Promise<string> {
  const consents = expectStatus(await api.GET("/v1/consent-texts"), 200, "GET /v1/consent-texts");
  const membership = consents.items.find((text) => text.purpose === "membership");
  check(membership !== undefined, "no membership consent text");
  const audiences = expectStatus(await api.GET("/v1/audiences"), 200, "GET /v1/audiences");
  const audience = audiences.items[0];
  check(audience !== undefined, "no audiences");
  const signup = await api.POST("/v1/members", {
    params: { header: { "Idempotency-Key": `signup-${runId}` } },
    body: {
      email,
      name: "Alex Golden",
      consent_version: membership.version,
      membership_consent: true,
      audiences: [audience.key],
      region: "england",
    },
  });
  expectStatus(signup, 202, "POST /v1/members");
  const { token } = await tokenFromEmail(email, "/members/confirm");
  const session: Schemas["MemberSession"] = expectStatus(
    await api.POST("/v1/members/confirm", { body: { token } }),
    200,
    "POST /v1/members/confirm",
  );
  check(session.status === "active", "confirmed member is not active");
  return session.member_token;
}

async function signInFromEmail(email: string): Promise<string> {
  expectEmpty(await api.POST("/v1/members/sign-in-link", { body: { email } }), 202, "POST /v1/members/sign-in-link");
  const { token } = await tokenFromEmail(email, "/members/sign-in");
  const session = expectStatus(await api.POST("/v1/members/sign-in", { body: { token } }), 200, "POST /v1/members/sign-in");
  return session.member_token;
}

async function membership(): Promise<void> {
  const email = `member-${runId}@golden-path.example.org`;
  await step("signup → confirm from the emailed link", () => signupAndConfirm(email));
  const token = await step("sign in from the emailed link", () => signInFromEmail(email));
  await step("GET /v1/me and export", async () => {
    const me = expectStatus(await api.GET("/v1/me", { headers: bearer(token) }), 200, "GET /v1/me");
    check(me.profile.email === email && me.profile.status === "active", "GET /v1/me is not the new member");
    const exported = expectStatus(await api.GET("/v1/me/export", { headers: bearer(token) }), 200, "GET /v1/me/export");
    check(exported.profile.id === me.profile.id, "the export is someone else's");
    check(exported.consents.some((consent) => consent.purpose === "membership"), "the export has no membership consent");
    const updated = expectStatus(
      await api.PATCH("/v1/me", { headers: bearer(token), body: { email_frequency: "weekly-digest" } }),
      200,
      "PATCH /v1/me",
    );
    check(updated.profile.id === me.profile.id && updated.profile.email_frequency === "weekly-digest", "PATCH /v1/me does not answer as GET /v1/me");
  });
  await step("unsubscribe from the emailed link", async () => {
    const { email: message, token: unsubscribe } = await tokenFromEmail(email, "/members/unsubscribe");
    check((message.headers["List-Unsubscribe-Post"] ?? []).includes("List-Unsubscribe=One-Click"), "no one-click unsubscribe header");
    const done = expectStatus(
      await api.POST("/v1/unsubscribe", { params: { query: { token: unsubscribe } } }),
      200,
      "POST /v1/unsubscribe",
    );
    check(done.status === "unsubscribed", "not unsubscribed");
    const me = expectStatus(await api.GET("/v1/me", { headers: bearer(token) }), 200, "GET /v1/me");
    check(me.profile.status === "unsubscribed", `after unsubscribing the member is ${me.profile.status}`);
  });
}

async function donate(): Promise<void> {
  const options = expectStatus(await api.GET("/v1/donations/options"), 200, "GET /v1/donations/options");
  const listed = await api.GET("/v1/campaigns");
  const campaigns = expectStatus(listed, 200, "GET /v1/campaigns");
  const again = await api.GET("/v1/campaigns", { params: { header: { "If-None-Match": header(listed.response, "ETag") } } });
  check(again.response.status === 304, `revalidating the campaigns: expected 304, got ${again.response.status}`);
  const campaign = campaigns.items.find((c) => c.active);
  check(campaign !== undefined, "no open campaign");
  const amount = options.presets_pence[1] ?? options.min_pence;
  const request: Schemas["CheckoutRequest"] = { amount_pence: amount, currency: options.currency, frequency: "one_off", campaign: campaign.slug };
  const key = `checkout-${runId}`;
  const first = await api.POST("/v1/donations/checkout", { params: { header: { "Idempotency-Key": key } }, body: request });
  const checkout = expectStatus(first, 201, "POST /v1/donations/checkout");
  check(checkout.url.startsWith("http"), `the checkout URL is ${checkout.url}`);
  const replay = await api.POST("/v1/donations/checkout", { params: { header: { "Idempotency-Key": key } }, body: request });
  check(expectStatus(replay, 201, "replayed checkout").session_id === checkout.session_id, "the replay made another session");
  check(header(replay.response, "Idempotent-Replayed") === "true", "the replay does not say it is one");
}

async function beacon(): Promise<void> {
  const sent = await api.POST("/v1/events", {
    // What navigator.sendBeacon sends with a string: text/plain, no
    // preflight; from a browser (scripts' agents are counted as bots).
    headers: { "Content-Type": "text/plain;charset=UTF-8", "User-Agent": browserAgent },
    body: { url: `${siteOrigin}/about-us?utm_source=golden-path`, name: "pageview", screen_width: 1280 },
  });
  expectEmpty(sent, 202, "POST /v1/events");
}

async function counter(): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const visits = expectStatus(await api.GET("/v1/stats/counter"), 200, "GET /v1/stats/counter");
    check(visits.total_visits === visits.historic_baseline + visits.counted, "the counter does not add up");
    if (visits.counted >= 1) {
      return;
    }
    check(Date.now() < deadline, "the beacon's visit was not counted within 20 s");
    await sleep(250);
  }
}

async function staffToken(): Promise<string> {
  const tokens = expectStatus(
    await api.POST("/v1/auth/login", { body: { email: env("HPA_EDITOR_EMAIL"), password: env("HPA_EDITOR_PASSWORD") } }),
    200,
    "POST /v1/auth/login",
  );
  return tokens.access_token;
}

async function opportunityRegistration(): Promise<void> {
  const editor = await staffToken();
  const startsAt = new Date(Date.now() + 14 * 24 * 3600 * 1000).toISOString();
  const created = expectStatus(
    await api.POST("/v1/opportunities", {
      headers: bearer(editor),
      body: {
        kind: "listening-event",
        title: `Listening event: learning from harm (${runId})`,
        summary: "An online listening event for harmed patients and families.",
        organiser_name: "Harmed Patients Alliance",
        starts_at: startsAt,
        online: true,
        capacity: 1,
      },
    }),
    201,
    "POST /v1/opportunities",
  );
  expectStatus(
    await api.POST("/v1/opportunities/{id}/review", { params: { path: { id: created.id } }, headers: bearer(editor), body: { action: "publish" } }),
    200,
    "publish the opportunity",
  );
  const listed = expectStatus(await api.GET("/v1/opportunities"), 200, "GET /v1/opportunities");
  const shown = listed.items.find((o) => o.id === created.id);
  check(shown !== undefined, "the published opportunity is not listed");
  check(shown.booking.offered && shown.booking.open && shown.booking.places_left === 1, "the opportunity does not take bookings");

  const path = { id: created.id };
  const first = `attendee-${runId}@golden-path.example.org`;
  const place: Schemas["Registration"] = expectStatus(
    await api.POST("/v1/opportunities/{id}/registrations", { params: { path }, body: { name: "Jo Golden", email: first, share_with_organiser: true } }),
    201,
    "register",
  );
  check(place.status === "confirmed", `first registration is ${place.status}`);
  const second = expectStatus(
    await api.POST("/v1/opportunities/{id}/registrations", {
      params: { path },
      body: { name: "Kim Golden", email: `waiting-${runId}@golden-path.example.org` },
    }),
    201,
    "register when full",
  );
  check(second.status === "waitlisted" && second.waitlist_position === 1, `second registration is ${second.status}`);
  const full = expectStatus(await api.GET("/v1/opportunities/{id}", { params: { path } }), 200, "GET /v1/opportunities/{id}");
  check(full.booking.full && full.booking.waiting_list, "the full event offers no waiting list");
  const { token } = await tokenFromEmail(first, "/events/cancel");
  expectEmpty(await api.POST("/v1/registrations/cancel", { body: { token } }), 204, "cancel from the emailed link");
}

async function main(): Promise<void> {
  console.log(`golden path against ${env("HPA_API_URL")}`);
  await step("beacon (text/plain, as sendBeacon sends it)", beacon);
  await step("home page: site and navigation", homePage);
  await step("page with ETag revalidation (304)", pageWithRevalidation);
  await step("search", search);
  await step("enquiry with a form token", enquiry);
  await membership();
  await step("donate: campaigns revalidated (304), checkout on stripe-mock, replayed", donate);
  await step("opportunity: publish, register, waiting list, cancel", opportunityRegistration);
  await step("visit counter counts the beacon", counter);
  console.log("golden path: every journey passed");
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
