// Helpers for the golden path: the typed client, checks that say what
// failed, and the SMTP sink's mailbox (scripts/bench/smtpsink -keep).
import createClient from "openapi-fetch";
import type { paths } from "../schema.js";

/** Reads a required environment variable. */
export function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set (scripts/ts-golden-path.sh sets it)`);
  }
  return value;
}

/** The client every journey uses, typed from openapi/openapi.yaml. */
export const api = createClient<paths>({ baseUrl: env("HPA_API_URL") });

/** Throws with the message when the condition does not hold. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) {
    throw new Error(message);
  }
}

/** What every openapi-fetch call resolves to. */
interface Result<T, E> {
  data?: T;
  error?: E;
  response: Response;
}

/**
 * Returns the body of a response with the expected status, or throws with
 * the status and the problem document the server sent instead.
 */
export function expectStatus<T, E>(result: Result<T, E>, status: number, what: string): T {
  const got = result.response.status;
  if (got !== status || result.data === undefined) {
    throw new Error(`${what}: expected ${status}, got ${got}: ${JSON.stringify(result.error ?? result.data)}`);
  }
  return result.data;
}

/** Checks the status of a response that has no body (202 or 204 without content). */
export function expectEmpty<E>(result: { error?: E; response: Response }, status: number, what: string): void {
  if (result.response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${result.response.status}: ${JSON.stringify(result.error)}`);
  }
}

/** Returns a response header, or throws when it is missing. */
export function header(response: Response, name: string): string {
  const value = response.headers.get(name);
  check(value !== null && value !== "", `${response.url}: no ${name} header`);
  return value;
}

/** Bearer credentials for a staff or member token. */
export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

/** A unique value for this run, so journeys never collide with earlier data. */
export const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/** One email the SMTP sink received. */
export interface Email {
  to: string[];
  subject: string;
  headers: Record<string, string[]>;
  text: string;
  html: string;
}

function isEmail(value: unknown): value is Email {
  return typeof value === "object" && value !== null && "to" in value && "subject" in value && "text" in value;
}

async function mailbox(address: string): Promise<Email[]> {
  const url = `${env("HPA_SINK_URL")}/messages?to=${encodeURIComponent(address)}`;
  const response = await fetch(url);
  check(response.ok, `SMTP sink: ${response.status}`);
  const body: unknown = await response.json();
  check(Array.isArray(body), "SMTP sink: /messages is not a list");
  return body.filter(isEmail);
}

/**
 * Waits (up to 20 s) for an email to address whose text has a link to the
 * website route (such as /members/confirm) and returns the link's token.
 */
export async function tokenFromEmail(address: string, route: string, skip = 0): Promise<{ email: Email; token: string }> {
  const pattern = new RegExp(`${route.replace(/[/]/g, "\\/")}\\?token=([A-Za-z0-9_\\-.~%]+)`);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = (await mailbox(address))
      .map((email) => ({ email, match: pattern.exec(email.text) }))
      .filter((m) => m.match !== null)
      .slice(skip);
    const first = found[0];
    if (first?.match?.[1] !== undefined) {
      return { email: first.email, token: decodeURIComponent(first.match[1]) };
    }
    check(Date.now() < deadline, `no email to ${address} with a ${route} link within 20 s`);
    await sleep(100);
  }
}

/** Waits ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs one named journey step, printing how it went and how long it took. */
export async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const value = await run();
    console.log(`ok   ${name} (${Math.round(performance.now() - started)} ms)`);
    return value;
  } catch (error) {
    console.log(`FAIL ${name}`);
    throw error;
  }
}
