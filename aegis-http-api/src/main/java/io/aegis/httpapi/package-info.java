/**
 * The HTTP API and status page of a running engine ({@link io.aegis.httpapi.ApiServer}): read the services'
 * state, follow the engine's events as Server-Sent Events, and act on services (restart, reset, pause, resume,
 * isolate), silences and reloads, with a bearer token for every call that changes something.
 */
package io.aegis.httpapi;
