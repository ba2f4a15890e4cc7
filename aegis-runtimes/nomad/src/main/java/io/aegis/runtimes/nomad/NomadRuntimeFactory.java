package io.aegis.runtimes.nomad;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.api.ConfigException;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeSpec;
import io.aegis.plugin.support.DaemonThreadFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The {@code nomad} runtime: a service is a Nomad job (or one task group of it), driven through Nomad's HTTP API.
 * Nomad owns the job, so it outlives aegis: aegis never stops it when it exits or the service is removed.
 *
 * <pre>{@code
 * runtime:
 *   type: nomad
 *   address: http://127.0.0.1:4646   # optional; default $NOMAD_ADDR, then http://127.0.0.1:4646
 *   token: ${NOMAD_TOKEN}            # optional; default $NOMAD_TOKEN; sent as X-Nomad-Token
 *   namespace: default               # optional; default $NOMAD_NAMESPACE, then default
 *   region: global                   # optional; default $NOMAD_REGION, else the agent's region
 *   job: web                         # required: the job's ID
 *   group: api                       # optional: one task group (default: every group of the job)
 *   task: server                     # optional: restart only this task of each allocation
 *   caCert: /etc/nomad/ca.pem        # optional, https only; default $NOMAD_CACERT, else the JDK's trust store
 * }</pre>
 *
 * <ul>
 *   <li>{@code start} checks that the job exists ({@code GET /v1/job/:id}) and follows its allocations. When aegis
 *       itself stopped the job, it registers the stopped version again with {@code Stop: false}
 *       ({@code POST /v1/job/:id}, as {@code nomad job start} does); a job someone else stopped is left alone and
 *       the start fails saying so.</li>
 *   <li>{@code stop} is {@code nomad job stop} without purge ({@code DELETE /v1/job/:id}); aegis records in the
 *       service's state directory that it stopped the job.</li>
 *   <li>{@code restart} restarts in place the running allocations that crashed since the last restart, else every
 *       running allocation of the job (group): {@code POST /v1/client/allocation/:id/restart}, with
 *       {@code TaskName} when {@code task} is set. The token
 *       needs {@code alloc-lifecycle}.</li>
 *   <li>{@code rollback} is {@code POST /v1/job/:id/revert} to the job version aegis last saw healthy (the oldest
 *       version among the running allocations after a passing check cycle) when it is older than the current one,
 *       else to the newest version below the current one that Nomad marked {@code Stable} (a deployment of it
 *       succeeded, which needs an {@code update} block), with {@code EnforcePriorVersion} set to the current version
 *       so that a deployment made meanwhile is not overwritten. Without either, it fails and says so.</li>
 *   <li>{@code isolate} deletes the Nomad service registrations ({@code provider = "nomad"}) of the allocation that
 *       last exited, if it still runs, else of every running allocation ({@code GET /v1/allocation/:id/services},
 *       {@code DELETE /v1/service/:name/:id}), so that consumers of Nomad's catalog stop sending it traffic, and
 *       keeps it running for a person to inspect. Limits: Nomad registers the services again when a task of the
 *       allocation restarts (which is also how to undo it); templates that render {@code nomadService} see the
 *       change at their next render; services with {@code provider = "consul"} are not in Nomad's catalog, and
 *       the isolation fails saying so.</li>
 *   <li>Exits are seen at once from {@code GET /v1/event/stream?topic=Allocation:<job>}: an allocation whose
 *       {@code ClientStatus} becomes {@code failed}, {@code lost} or {@code complete} while it should run, or whose
 *       task shows a {@code Terminated} event nobody asked for (not preceded by {@code Restart Signaled} or
 *       {@code Killing}). The stream is reopened from the last index after it breaks, and when nothing, not even
 *       Nomad's 30-second heartbeat, arrives for 75 seconds.</li>
 *   <li>{@code status} answers from a cache refreshed after every event of the job: RUNNING with the task groups'
 *       count and the running allocations as instances, and the job version.</li>
 *   <li>Errors name the agent and what to fix: an unreachable address, a job that does not exist, a token Nomad
 *       refuses (403 {@code Permission denied}, {@code ACL token not found}).</li>
 * </ul>
 *
 * <p>TLS: an {@code https} address is checked against {@code caCert} or the JDK's trust store; client certificates
 * (Nomad's {@code verify_https_client}) are not supported yet.
 */
public final class NomadRuntimeFactory implements RuntimeAdapterFactory {

    /** The {@code runtime.type:} this factory serves. */
    public static final String TYPE = "nomad";

    /**
     * How long the runtime waits for Nomad.
     *
     * @param requestTimeout how long one API call may take
     * @param connectTimeout how long connecting to the agent may take
     * @param streamIdleTimeout how long the event stream may stay silent (Nomad sends a heartbeat every 30 s)
     * @param firstReconnectDelay the wait before reopening a stream that failed at once; doubled each time
     * @param maxReconnectDelay the longest wait between attempts to reopen the stream
     */
    record Timings(Duration requestTimeout, Duration connectTimeout, Duration streamIdleTimeout,
            Duration firstReconnectDelay, Duration maxReconnectDelay) {
        static final Timings DEFAULT = new Timings(Duration.ofSeconds(30), Duration.ofSeconds(10),
                Duration.ofSeconds(75), Duration.ofSeconds(1), Duration.ofSeconds(30));

        Timings {
            Objects.requireNonNull(requestTimeout, "requestTimeout");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(streamIdleTimeout, "streamIdleTimeout");
            Objects.requireNonNull(firstReconnectDelay, "firstReconnectDelay");
            Objects.requireNonNull(maxReconnectDelay, "maxReconnectDelay");
        }
    }

    /**
     * Created on the first Nomad service, not when ServiceLoader instantiates this factory at every start:
     * Jackson databind is ~320 classes (~0.1 s of start-up) that a config without a Nomad service never needs.
     */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    private final Map<String, String> environment;
    private final Timings timings;

    /** Needed by {@link java.util.ServiceLoader}; reads the {@code NOMAD_*} variables of aegis' environment. */
    public NomadRuntimeFactory() {
        this(System.getenv(), Timings.DEFAULT);
    }

    NomadRuntimeFactory(Map<String, String> environment, Timings timings) {
        this.environment = Map.copyOf(environment);
        this.timings = timings;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public RuntimeAdapter create(RuntimeSpec spec) {
        NomadSettings settings = NomadSettings.from(spec.settings(), environment);
        SSLContext tls = settings.caCert().map(path -> trusting(path, spec.settings().keyPath("caCert")))
                .orElse(null);
        String threadName = "aegis-nomad-" + spec.serviceName();
        ExecutorService httpExecutor = Executors.newCachedThreadPool(new DaemonThreadFactory(threadName + "-http"));
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timings.connectTimeout()).executor(httpExecutor)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (tls != null) {
            builder.sslContext(tls);
        }
        HttpClient client = builder.build();
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, new DaemonThreadFactory(threadName));
        scheduler.setRemoveOnCancelPolicy(true);
        NomadApi api = new NomadApi(settings, client, timings.requestTimeout(), Json.MAPPER);
        return new NomadRuntime(spec.serviceName(), settings, spec.listener(), spec.blockingExecutor(),
                spec.stateDirectory(), httpExecutor, client, (ScheduledExecutorService) scheduler, api, timings);
    }

    /** An SSL context that trusts the certificates of a PEM file. */
    private static SSLContext trusting(Path pem, String keyPath) {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new ConfigException(keyPath, "expected a PEM file of CA certificates, found " + pem
                        + ", which holds none");
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates) {
                store.setCertificateEntry("ca-" + i++, certificate);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException(keyPath, "expected a PEM file of CA certificates, found " + pem
                    + ", which cannot be read as one (" + e.getMessage() + ")");
        }
    }
}
