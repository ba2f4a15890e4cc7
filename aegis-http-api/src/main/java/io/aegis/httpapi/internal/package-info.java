/** The machinery of the HTTP API: routes, JSON shapes, the event stream. Not API: may change in any release. */
package io.aegis.httpapi.internal;
