// Drives a Flexprice.Orleans server with Flexprice's official TypeScript SDK (@flexprice/sdk 2.0.1), unchanged.
//
//   node conformance.mjs <server URL, e.g. http://127.0.0.1:8080/v1> <API key of a fresh tenant (admin)>
//
// Prints one JSON line per SDK call: {"call", "route", "expect", "ok", "detail"}, then {"summary": {...}}.
// Exits 0 when every call did what it should: a success call returned without throwing and with the right
// values; an error call threw an error that carries the server's status and message (the SDK 2.0.1 types
// `error` as an object, the spec's body has a string there: the SDK then throws a response-validation error,
// which still carries the status and the body).
import { Flexprice } from "@flexprice/sdk";

const [serverURL, apiKey] = process.argv.slice(2);
if (!serverURL || !apiKey) {
  console.error("usage: node conformance.mjs <server URL ending in /v1> <API key>");
  process.exit(2);
}

const options = { serverURL, retryConfig: { strategy: "none" }, timeoutMs: 30000 };
const sdk = new Flexprice({ ...options, apiKeyAuth: apiKey });
const results = [];

function report(call, route, expect, ok, detail) {
  const line = { call, route, expect, ok, detail };
  results.push(line);
  console.log(JSON.stringify(line));
}

function check(condition, message) {
  if (!condition) {
    throw new Error(`check failed: ${message}`);
  }
}

// A call that must succeed: `body` makes it and checks what it answers (throwing on a wrong value).
async function succeeds(call, route, body) {
  try {
    const detail = await body();
    report(call, route, "success", true, detail ?? "");
  } catch (err) {
    const body = err?.body ? ` body: ${String(err.body).slice(0, 300)}` : "";
    const cause = err?.cause?.message ? ` cause: ${String(err.cause.message).slice(0, 300)}` : "";
    report(call, route, "success", false, `${err?.name ?? "Error"}: ${String(err?.message).slice(0, 500)}${cause}${body}`);
  }
}

// A call that must fail with the server's status and message, readable from the thrown error.
async function fails(call, route, status, message, body) {
  try {
    await body();
    report(call, route, `${status} ${message}`, false, "returned without throwing");
  } catch (err) {
    let parsed;
    try {
      parsed = JSON.parse(err?.body ?? "");
    } catch {
      parsed = undefined;
    }

    const ok = err?.statusCode === status && parsed?.error === message && parsed?.message === message && parsed?.http_status_code === status;
    report(call, route, `${status} ${message}`, ok, `${err?.name}: status ${err?.statusCode}, body ${String(err?.body).slice(0, 300)}`);
  }
}

const now = new Date();
const iso = (d) => d.toISOString();
const minutesAgo = (m) => iso(new Date(now.getTime() - m * 60000));
const range = { startTime: iso(new Date(now.getTime() - 86400000)), endTime: iso(new Date(now.getTime() + 10 * 60000)) };

let customerA;
let credits;
let calls;

await succeeds("customers.createCustomer", "POST /v1/customers", async () => {
  customerA = await sdk.customers.createCustomer({
    externalId: "sdk-a", name: "Customer A", email: "a@example.com", addressCity: "Berlin", addressCountry: "DE", metadata: { plan: "pro" },
  });
  check(customerA.id?.startsWith("cust_"), `id ${customerA.id}`);
  check(customerA.addressCity === "Berlin" && customerA.metadata?.plan === "pro" && customerA.status === "published", JSON.stringify(customerA));
  return customerA.id;
});

await succeeds("customers.createCustomer (second)", "POST /v1/customers", async () => {
  const b = await sdk.customers.createCustomer({ externalId: "sdk-b" });
  check(b.name === "sdk-b", `name ${b.name}`);
  return b.id;
});

await succeeds("customers.getCustomer", "GET /v1/customers/{id}", async () => {
  const c = await sdk.customers.getCustomer(customerA.id);
  check(c.externalId === "sdk-a", `external id ${c.externalId}`);
});

await succeeds("customers.getCustomerByExternalId", "GET /v1/customers/external/{external_id}", async () => {
  const c = await sdk.customers.getCustomerByExternalId("sdk-a");
  check(c.id === customerA.id, `id ${c.id}`);
});

await succeeds("customers.queryCustomer", "POST /v1/customers/search", async () => {
  const page = await sdk.customers.queryCustomer({ externalIds: ["sdk-a", "sdk-b", "nobody"], limit: 10 });
  check(page.items?.length === 2 && page.pagination?.total === 2, JSON.stringify(page.pagination));
  const byEmail = await sdk.customers.queryCustomer({ email: "A@example.com" });
  check(byEmail.items?.length === 1 && byEmail.items[0].id === customerA.id, "by e-mail");
});

await succeeds("features.createFeature (SUM)", "POST /v1/features", async () => {
  credits = await sdk.features.createFeature({
    name: "Credits", type: "metered", lookupKey: "credits", unitSingular: "credit", unitPlural: "credits",
    meter: { name: "Credits", eventName: "model.usage", aggregation: { type: "SUM", field: "credits" }, resetUsage: "BILLING_PERIOD" },
  });
  check(credits.id?.startsWith("feat_") && credits.meterId?.startsWith("meter_"), `${credits.id} ${credits.meterId}`);
  check(credits.lookupKey === "credits" && credits.meter?.aggregation?.field === "credits", JSON.stringify(credits.meter));
  return credits.id;
});

await succeeds("features.createFeature (COUNT)", "POST /v1/features", async () => {
  calls = await sdk.features.createFeature({
    name: "Calls", type: "metered",
    meter: { name: "Calls", eventName: "model.usage", aggregation: { type: "COUNT" }, resetUsage: "BILLING_PERIOD" },
  });
  return calls.id;
});

await succeeds("features.queryFeature", "POST /v1/features/search", async () => {
  const page = await sdk.features.queryFeature({ lookupKeys: ["credits"] });
  check(page.items?.length === 1 && page.items[0].id === credits.id, JSON.stringify(page.items?.map((f) => f.id)));
});

// Customer A: 2.5 + 4 + 1.5 = 8 credits in 3 events (plus one retry); customer B: 10 credits in 1 event.
const single = { eventName: "model.usage", externalCustomerId: "sdk-a", eventId: "sdk-ev-1", properties: { credits: "2.5" }, source: "sdk", timestamp: minutesAgo(3) };
await succeeds("events.ingestEvent", "POST /v1/events", async () => {
  const answer = await sdk.events.ingestEvent(single);
  check(answer.event_id === "sdk-ev-1", JSON.stringify(answer));
  return JSON.stringify(answer);
});

await succeeds("events.ingestEvent (retry, same event_id)", "POST /v1/events", async () => {
  const answer = await sdk.events.ingestEvent(single);
  check(answer.event_id === "sdk-ev-1", JSON.stringify(answer));
});

await succeeds("events.ingestEventsBulk", "POST /v1/events/bulk", async () => {
  const answer = await sdk.events.ingestEventsBulk({
    events: [
      { eventName: "model.usage", externalCustomerId: "sdk-a", eventId: "sdk-ev-2", properties: { credits: "4" }, timestamp: minutesAgo(2) },
      { eventName: "model.usage", externalCustomerId: "sdk-a", eventId: "sdk-ev-3", properties: { credits: "1.5" }, timestamp: minutesAgo(1) },
      { eventName: "model.usage", externalCustomerId: "sdk-b", eventId: "sdk-ev-4", properties: { credits: "10" }, timestamp: minutesAgo(1) },
    ],
  });
  check(typeof answer.message === "string", JSON.stringify(answer));
  return JSON.stringify(answer);
});

await succeeds("events.getUsageStatistics (event name)", "POST /v1/events/usage", async () => {
  const usage = await sdk.events.getUsageStatistics({
    eventName: "model.usage", aggregationType: "SUM", propertyName: "credits", externalCustomerId: "sdk-a", ...range, windowSize: "DAY",
  });
  check(usage.value === 8 && usage.type === "SUM" && usage.results?.length >= 1, JSON.stringify(usage));
  return `value ${usage.value}`;
});

await succeeds("events.getUsageStatistics (customer_id)", "POST /v1/events/usage", async () => {
  const usage = await sdk.events.getUsageStatistics({ eventName: "model.usage", aggregationType: "COUNT", customerId: customerA.id, ...range });
  check(usage.value === 3, `value ${usage.value} (the retry must not count)`);
  return `value ${usage.value}`;
});

await succeeds("events.getUsageStatistics (tenant)", "POST /v1/events/usage", async () => {
  const usage = await sdk.events.getUsageStatistics({ eventName: "model.usage", aggregationType: "SUM", propertyName: "credits", ...range });
  check(usage.value === 18, `value ${usage.value}`);
});

await succeeds("events.getUsageByMeter", "POST /v1/events/usage/meter", async () => {
  const usage = await sdk.events.getUsageByMeter({ meterId: credits.meterId, externalCustomerId: "sdk-a", ...range, windowSize: "HOUR" });
  check(usage.value === 8, JSON.stringify(usage));
  return `value ${usage.value}`;
});

await succeeds("customers.getCustomerUsageSummary", "GET /v1/customers/usage", async () => {
  const summary = await sdk.customers.getCustomerUsageSummary({ customerLookupKey: "sdk-a", featureIds: [credits.id, calls.id] });
  const byId = Object.fromEntries(summary.features.map((f) => [f.feature.id, f]));
  check(summary.customerId === customerA.id && byId[credits.id]?.currentUsage === "8" && byId[calls.id]?.currentUsage === "3", JSON.stringify(summary.features.map((f) => f.currentUsage)));
  check(byId[credits.id].isUnlimited === true && summary.period?.startTime, "unlimited, with a period");
  const byCustomerId = await sdk.customers.getCustomerUsageSummary({ customerId: customerA.id });
  check(byCustomerId.features.length === 2, "every feature without feature_ids");
  return `credits ${byId[credits.id].currentUsage}, calls ${byId[calls.id].currentUsage}`;
});

await succeeds("events.getUsageAnalytics", "POST /v1/events/analytics", async () => {
  const analytics = await sdk.events.getUsageAnalytics({ externalCustomerId: "sdk-a", featureIds: [credits.id], ...range, windowSize: "HOUR" });
  const item = analytics.items?.[0];
  check(analytics.items.length === 1 && item.featureId === credits.id && item.totalUsage === "8" && item.eventCount === 3, JSON.stringify(item));
  const points = item.points.reduce((sum, p) => sum + Number(p.usage), 0);
  check(points === 8, `points sum to ${points}`);
  return `total_usage ${item.totalUsage}, ${item.points.length} points`;
});

let firstPage;
await succeeds("events.listRawEvents", "POST /v1/events/query", async () => {
  firstPage = await sdk.events.listRawEvents({ externalCustomerId: "sdk-a", pageSize: 2 });
  check(firstPage.events.length === 2 && firstPage.hasMore === true && firstPage.totalCount === 3, JSON.stringify({ ...firstPage, events: firstPage.events.length }));
  check(firstPage.events[0].id === "sdk-ev-3", `newest first: ${firstPage.events[0].id}`);
  const next = await sdk.events.listRawEvents({ externalCustomerId: "sdk-a", pageSize: 2, iterLastKey: firstPage.iterLastKey });
  check(next.events.length === 1 && next.events[0].id === "sdk-ev-1" && next.hasMore === false, "second page");
  const filtered = await sdk.events.listRawEvents({ propertyFilters: { credits: ["10"] }, order: "asc" });
  check(filtered.events.length === 1 && filtered.events[0].externalCustomerId === "sdk-b", "property_filters");
  return `${firstPage.totalCount} events`;
});

await succeeds("events.getEvent", "GET /v1/events/{id}", async () => {
  const found = await sdk.events.getEvent("sdk-ev-1");
  check(found.event?.id === "sdk-ev-1" && found.status === "processed", JSON.stringify(found.event));
  const byFeature = Object.fromEntries(found.processedEvents.map((p) => [p.featureId, p]));
  check(byFeature[credits.id]?.qtyTotal === "2.5" && byFeature[calls.id]?.qtyTotal === "1" && byFeature[credits.id].customerId === customerA.id, JSON.stringify(found.processedEvents));
  return `qty_total ${byFeature[credits.id].qtyTotal}`;
});

let createdKey;
await succeeds("secrets.createApiKey", "POST /v1/secrets/api/keys", async () => {
  createdKey = await sdk.secrets.createApiKey({ name: "sdk key", type: "private_key" });
  check(createdKey.apiKey?.startsWith("sk_") && createdKey.secret?.id && createdKey.secret?.displayId, JSON.stringify({ ...createdKey, apiKey: "…" }));
  const other = new Flexprice({ ...options, apiKeyAuth: createdKey.apiKey });
  const c = await other.customers.getCustomer(customerA.id);
  check(c.id === customerA.id, "the new key works");
  return createdKey.secret.id;
});

await succeeds("secrets.listApiKeys", "GET /v1/secrets/api/keys", async () => {
  const keys = await sdk.secrets.listApiKeys();
  check(keys.items?.some((k) => k.id === createdKey.secret.id), "the new key is listed");
});

await succeeds("secrets.deleteApiKey", "DELETE /v1/secrets/api/keys/{id}", async () => {
  await sdk.secrets.deleteApiKey(createdKey.secret.id);
});

// The spec's three errors, a key the server does not know, and a customer_id that names no customer.
await fails("events.ingestEvent (missing event_name)", "POST /v1/events", 400, "Missing required field: event_name", () =>
  sdk.events.ingestEvent({ eventName: "", externalCustomerId: "sdk-a", properties: { credits: "1" } }));
await fails("events.ingestEvent (unknown event name)", "POST /v1/events", 400, "Event name 'unknown.event' not found", () =>
  sdk.events.ingestEvent({ eventName: "unknown.event", externalCustomerId: "sdk-a" }));
await fails("events.ingestEvent (unknown customer)", "POST /v1/events", 400, "Customer with external_customer_id 'invalid_id' not found", () =>
  sdk.events.ingestEvent({ eventName: "model.usage", externalCustomerId: "invalid_id", properties: { credits: "1" } }));
await fails("events.ingestEvent (bad API key)", "POST /v1/events", 401, "Invalid or missing API key", () =>
  new Flexprice({ ...options, apiKeyAuth: "sk_not_a_key_of_this_server" }).events.ingestEvent(single));
await fails("customers.getCustomer (revoked API key)", "GET /v1/customers/{id}", 401, "Invalid or missing API key", () =>
  new Flexprice({ ...options, apiKeyAuth: createdKey?.apiKey ?? "none" }).customers.getCustomer(customerA.id));
await fails("events.getUsageStatistics (unknown customer_id)", "POST /v1/events/usage", 400, "Customer with customer_id 'cust_nobody' not found", () =>
  sdk.events.getUsageStatistics({ eventName: "model.usage", aggregationType: "COUNT", customerId: "cust_nobody", ...range }));

const failed = results.filter((r) => !r.ok).length;
console.log(JSON.stringify({ summary: { calls: results.length, passed: results.length - failed, failed } }));
process.exit(failed === 0 ? 0 : 1);
