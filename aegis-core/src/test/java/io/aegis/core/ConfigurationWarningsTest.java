package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings that are valid but will not do what they seem to: warnings that say what will happen. */
class ConfigurationWarningsTest {

    private static Engine build(String yaml, ServiceDefinition... inCode) {
        Engine.Builder builder = Engine.builder().metricsEnabled(false)
                .config(AegisConfig.parse(yaml, "aegis.yaml", Map.of()));
        for (ServiceDefinition service : inCode) {
            builder.service(service);
        }
        return builder.build();
    }

    @Test
    void warnsAboutATimeoutAShortIntervalAndRetriesThatCannotFitSayingWhatWillHappen() {
        try (Engine engine = build("""
                services:
                  - name: slow
                    type: tcp
                    endpoint: 127.0.0.1:1
                    interval: 5s
                    timeout: 5s
                  - name: busy
                    type: tcp
                    endpoint: 127.0.0.1:1
                    interval: 50ms
                    timeout: 20ms
                  - name: retrying
                    type: tcp
                    endpoint: 127.0.0.1:1
                    interval: 5s
                    timeout: 2s
                    retries: 3
                  - name: fine
                    type: tcp
                    endpoint: 127.0.0.1:1
                    interval: 10s
                    timeout: 1s
                    retries: 2
                """)) {

            assertThat(engine.configurationWarnings()).containsExactly(
                    "aegis.yaml:6:14: services[0].timeout: timeout 5s is not shorter than interval 5s: a check that"
                            + " takes that long runs into the next tick, which is then skipped, so while the service is"
                            + " slow it is checked only every 10s; make timeout shorter than interval",
                    "aegis.yaml:10:15: services[1].interval: interval 50ms is under 100ms: the service will be checked"
                            + " 20 times a second, a load on it and on aegis that rarely pays off; use 100ms or more"
                            + " unless you mean it",
                    "aegis.yaml:17:14: services[2].retries: only 1 of the 3 retries fit in one interval (5s) when"
                            + " every attempt takes its whole timeout (2s) and waits its longest backoff (retryBackoff:"
                            + " initial 100ms, multiplier 2, max 2s); the rest are not attempted, because a retry starts"
                            + " only if it can finish before the next tick: lower retries or timeout, or raise"
                            + " interval");
            assertThat(engine.services()).hasSize(4);
        }
    }

    @Test
    void warnsAboutServicesDefinedInCodeByName() {
        try (Engine engine = build("services: []\n", ServiceDefinition.builder("coded").check("tcp", "127.0.0.1:1")
                .interval(Duration.ofSeconds(1)).timeout(Duration.ofSeconds(2)).build())) {

            assertThat(engine.configurationWarnings()).containsExactly("services[coded].timeout: timeout 2s is not"
                    + " shorter than interval 1s: a check that takes that long runs into the next tick, which is then"
                    + " skipped, so while the service is slow it is checked only every 3s; make timeout shorter than"
                    + " interval");
        }
    }

    @Test
    void saysNothingAboutSensibleSettingsOrTheSeedsDefaults() {
        try (Engine engine = build("""
                services:
                  - {name: api, type: tcp, endpoint: '127.0.0.1:1'}
                  - {name: web, type: tcp, endpoint: '127.0.0.1:1', interval: 100ms, timeout: 50ms}
                  - {name: db, type: tcp, endpoint: '127.0.0.1:1', interval: 15s, timeout: 3s, retries: 2}
                """)) {

            assertThat(engine.configurationWarnings()).isEmpty();
        }
    }
}
