/**
 * Machinery shared by the built-in checkers. Not an API: anything here may change without notice.
 */
package io.aegis.checkers.internal;
