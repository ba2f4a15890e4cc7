/**
 * The {@code file-age} health checker: an example of a third-party Aegis plugin, built against
 * {@code aegis-api} alone. Put its jar on the engine's class path and write {@code type: file-age}.
 */
package com.example.aegis.fileage;
