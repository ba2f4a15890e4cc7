/**
 * Machinery shared by the built-in notifiers. Not an API: anything here may change without notice.
 */
package io.aegis.alerting.internal;
