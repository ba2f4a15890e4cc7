/**
 * The {@code type: grpc} health checker: {@link io.aegis.checkers.grpc.GrpcCheckerFactory}.
 */
package io.aegis.checkers.grpc;
