package io.aegis.core.internal.alerting;

import static io.aegis.core.internal.alerting.LifecycleHarness.notifiers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.aegis.api.Alert;
import io.aegis.api.Severity;
import io.aegis.core.alerting.Matcher;
import io.aegis.core.internal.alerting.LifecycleHarness.Sent;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Grouping, repeat, routing, silences, inhibition, resend notifiers and restarts, in virtual time. */
class AlertLifecycleTest {
    private static final Instant T0 = Instant.parse("2026-06-01T10:00:00Z");

    private static LifecycleHarness harness(String yaml, String... notifiers) {
        LifecycleHarness harness = new LifecycleHarness(T0, yaml, notifiers(notifiers), Map.of(), null);
        harness.lifecycle.start();
        return harness;
    }

    @Test
    void alertsOfOneGroupWaitForGroupWaitAndGoOutInOneNotification() {
        LifecycleHarness h = harness("""
                route: {groupBy: [service], groupWait: 30s, groupInterval: 5m}
                """, "hook");
        h.fire(h.alert("ServiceUnhealthy", "api", Severity.CRITICAL));
        h.advance(Duration.ofSeconds(10));
        h.fire(h.alert("RecoveryEscalated", "api", Severity.WARNING));
        h.fire(h.alert("ServiceUnhealthy", "db", Severity.CRITICAL));
        h.advance(Duration.ofSeconds(19));
        assertThat(h.sent).as("nothing before groupWait").isEmpty();

        h.advance(Duration.ofSeconds(1));

        assertThat(h.sent).extracting(Sent::at, Sent::alerts).containsExactly(
                tuple(T0.plusSeconds(30), List.of("ServiceUnhealthy/api:firing", "RecoveryEscalated/api:firing")));
        assertThat(h.sent.get(0).notification().groupLabels()).isEqualTo(Map.of("service", "api"));
        assertThat(h.sent.get(0).notification().groupKey()).isEqualTo("{}:{service=\"api\"}");
        h.advance(Duration.ofSeconds(10));
        assertThat(h.sent).extracting(Sent::at, Sent::alerts).last().isEqualTo(
                tuple(T0.plusSeconds(40), List.of("ServiceUnhealthy/db:firing")));
    }

    @Test
    void changesAfterTheFirstNotificationWaitForGroupIntervalAndAResolveIsSentOnceAndForgotten() {
        LifecycleHarness h = harness("""
                route: {groupBy: [service], groupWait: 0s, groupInterval: 5m, repeatInterval: 1h}
                """, "hook");
        Alert down = h.fire(h.alert("ServiceUnhealthy", "api", Severity.CRITICAL));
        h.scheduler.runDue();
        assertThat(h.sent).hasSize(1);

        h.advance(Duration.ofMinutes(1));
        h.resolve(down);
        h.advance(Duration.ofMinutes(3).plusSeconds(59));
        assertThat(h.sent).as("the resolve waits for groupInterval after the last notification").hasSize(1);
        h.advance(Duration.ofSeconds(1));
        assertThat(h.sent).extracting(Sent::at, Sent::alerts).last().isEqualTo(
                tuple(T0.plus(Duration.ofMinutes(5)), List.of("ServiceUnhealthy/api:resolved")));

        h.advance(Duration.ofHours(5));
        assertThat(h.sent).as("a resolved alert is not repeated").hasSize(2);
        assertThat(h.scheduler.pending()).as("an empty group keeps no timer").isZero();
    }

    @Test
    void anUnchangedFiringGroupIsRepeatedAfterRepeatIntervalMarkedAsARepeat() {
        LifecycleHarness h = harness("""
                route: {groupWait: 0s, groupInterval: 5m, repeatInterval: 4h}
                """, "hook");
        h.fire(h.alert("ServiceUnhealthy", "api", Severity.CRITICAL));
        h.scheduler.runDue();

        h.advance(Duration.ofHours(4).minusSeconds(1));
        assertThat(h.sent).hasSize(1);
        h.advance(Duration.ofSeconds(1));
        h.advance(Duration.ofHours(4));

        assertThat(h.sent).extracting(Sent::at, s -> s.notification().repeat()).containsExactly(
                tuple(T0, false), tuple(T0.plus(Duration.ofHours(4)), true), tuple(T0.plus(Duration.ofHours(8)), true));
        assertThat(h.sent).extracting(s -> s.notification().id()).doesNotHaveDuplicates();
    }

    @Test
    void reRaisingAFiringAlertIsNoNewNotification() {
        LifecycleHarness h = harness("route: {groupWait: 0s, groupInterval: 1m}\n", "hook");
        Alert alert = h.fire(h.alert("ServiceUnhealthy", "api", Severity.CRITICAL));
        h.scheduler.runDue();
        h.advance(Duration.ofMinutes(2));
        h.fire(alert.toBuilder().description("still down").build());
        h.advance(Duration.ofMinutes(2));

        assertThat(h.sent).hasSize(1);
    }

    @Test
    void routesSendCriticalAlertsToThePagerAndTheRestToTheLogAndContinueSendsOnToLaterRoutes() {
        LifecycleHarness h = harness("""
                route:
                  notifiers: [log]
                  groupWait: 0s
                  routes:
                    - matchers: ['severity="critical"', 'team=~"pay.*"']
                      notifiers: [pager]
                      continue: true
                    - matchers: [severity=critical]
                      notifiers: [chat]
                """, "pager", "chat", "log");
        h.fire(Alert.builder("ServiceUnhealthy", "billing").severity(Severity.CRITICAL).label("team", "payments")
                .startsAt(T0).build());
        h.fire(h.alert("ServiceUnhealthy", "web", Severity.CRITICAL));
        h.fire(h.alert("RecoveryEscalated", "web", Severity.WARNING));
        h.scheduler.runDue();

        assertThat(h.sentTo("pager")).flatExtracting(Sent::alerts).containsExactly("ServiceUnhealthy/billing:firing");
        assertThat(h.sentTo("chat")).flatExtracting(Sent::alerts).containsExactlyInAnyOrder(
                "ServiceUnhealthy/billing:firing", "ServiceUnhealthy/web:firing");
        assertThat(h.sentTo("log")).flatExtracting(Sent::alerts).containsExactly("RecoveryEscalated/web:firing");
        assertThat(h.sentTo("pager").get(0).notification().groupKey()).startsWith(
                "{}/{severity=\"critical\",team=~\"pay.*\"}:");
    }

    @Test
    void twoRoutesWithTheSameMatchersKeepTheirOwnGroupsAndEachNotifiesItsNotifiers() {
        LifecycleHarness h = harness("""
                route:
                  notifiers: [log]
                  groupWait: 0s
                  routes:
                    - matchers: [severity=critical]
                      notifiers: [pager]
                      continue: true
                    - matchers: [severity=critical]
                      notifiers: [chat]
                      continue: true
                    - notifiers: [mail]
                      continue: true
                    - notifiers: [sms]
                """, "pager", "chat", "mail", "sms", "log");
        h.fire(h.alert("ServiceUnhealthy", "db", Severity.CRITICAL));
        h.scheduler.runDue();

        for (String notifier : List.of("pager", "chat", "mail", "sms")) {
            assertThat(h.sentTo(notifier)).as(notifier).flatExtracting(Sent::alerts)
                    .containsExactly("ServiceUnhealthy/db:firing");
        }
        assertThat(h.sentTo("log")).isEmpty();
        assertThat(h.sentTo("pager").get(0).notification().groupKey()).as("Alertmanager's group key, route key first")
                .isEqualTo("{}/{severity=\"critical\"}:{alertname=\"ServiceUnhealthy\", service=\"db\"}");
        assertThat(h.sentTo("chat").get(0).notification().groupKey())
                .isEqualTo(h.sentTo("pager").get(0).notification().groupKey());
    }

    @Test
    void aSilencedAlertIsNotSentNorItsResolveAndOneThatOutlivesItsSilenceIsSentWhenItEnds() {
        LifecycleHarness h = harness("""
                route: {groupWait: 0s, groupInterval: 1m}
                silences:
                  - matchers: [service=db]
                    startsAt: 2026-06-01T10:00:00Z
                    endsAt: 2026-06-01T11:00:00Z
                    comment: db upgrade
                """, "hook");
        Alert blip = h.fire(h.alert("ServiceUnhealthy", "db", Severity.CRITICAL));
        h.advance(Duration.ofMinutes(5));
        h.resolve(blip);
        h.advance(Duration.ofMinutes(5));
        Alert longer = h.fire(h.alert("RecoveryEscalated", "db", Severity.WARNING));
        h.advance(Duration.ofMinutes(49).plusSeconds(59));
        assertThat(h.sent).as("silenced until 11:00").isEmpty();
        assertThat(h.lifecycle.activeAlerts()).singleElement().satisfies(active -> {
            assertThat(active.alert()).isEqualTo(longer);
            assertThat(active.silencedBy()).containsExactly("config-0");
        });

        h.advance(Duration.ofSeconds(1));

        assertThat(h.sent).extracting(Sent::at, Sent::alerts).containsExactly(
                tuple(Instant.parse("2026-06-01T11:00:00Z"), List.of("RecoveryEscalated/db:firing")));
    }

    @Test
    void aSilenceAddedAtRunTimeMutesUntilItIsExpired() {
        LifecycleHarness h = harness("route: {groupWait: 0s, groupInterval: 1m}\n", "hook");
        var silence = h.lifecycle.addSilence(List.of(Matcher.parse("service=~\"d.*\"")), T0, T0.plus(Duration.ofDays(1)),
                "alice", "migrating");
        h.fire(h.alert("ServiceUnhealthy", "db", Severity.CRITICAL));
        h.advance(Duration.ofMinutes(10));
        assertThat(h.sent).isEmpty();
        assertThat(h.lifecycle.silences()).extracting(s -> s.createdBy()).containsExactly("alice");

        assertThat(h.lifecycle.expireSilence(silence.id())).isTrue();
        h.scheduler.runDue();

        assertThat(h.sent).flatExtracting(Sent::alerts).containsExactly("ServiceUnhealthy/db:firing");
        assertThat(h.lifecycle.silences()).isEmpty();
        assertThat(h.lifecycle.expireSilence(silence.id())).isFalse();
    }

    @Test
    void aWeeklyMaintenanceWindowFollowsTheLocalClockAcrossTheChangeToSummerTime() {
        // Europe/Berlin: CET (UTC+1) until Sunday 2027-03-28 02:00, when clocks jump to 03:00 CEST (UTC+2).
        LifecycleHarness h = new LifecycleHarness(Instant.parse("2027-03-27T00:00:00Z"), """
                route: {groupWait: 0s, groupInterval: 1m}
                silences:
                  - matchers: [service=db]
                    schedule:
                      weekdays: [saturday, sunday]
                      times: [{start: "02:00", end: "04:00"}]
                      timeZone: Europe/Berlin
                """, notifiers("hook"), Map.of(), null);
        h.lifecycle.start();
        Alert alert = h.fire(h.alert("ServiceUnhealthy", "db", Severity.CRITICAL));
        h.scheduler.runDue();
        h.resolve(alert);
        h.advance(Duration.ofMinutes(1));
        h.sent.clear();
        record Sample(String utc, boolean silenced) {
        }
        List<Sample> samples = List.of(
                new Sample("2027-03-27T00:30:00Z", false), // Sat 01:30 CET
                new Sample("2027-03-27T01:30:00Z", true), // Sat 02:30 CET
                new Sample("2027-03-27T03:00:00Z", false), // Sat 04:00 CET: the window is over
                new Sample("2027-03-28T00:30:00Z", false), // Sun 01:30 CET
                new Sample("2027-03-28T01:30:00Z", true), // Sun 03:30 CEST: 02:00 did not exist, the window opened at 03:00
                new Sample("2027-03-28T02:30:00Z", false), // Sun 04:30 CEST
                new Sample("2027-04-03T00:30:00Z", true), // Sat 02:30 CEST: an hour earlier in UTC than in winter
                new Sample("2027-04-03T01:30:00Z", true), // Sat 03:30 CEST
                new Sample("2027-04-03T02:30:00Z", false)); // Sat 04:30 CEST
        for (Sample sample : samples) {
            h.advance(Duration.between(h.scheduler.now(), Instant.parse(sample.utc())));
            assertThat(h.config.silences().get(0).activeAt(h.scheduler.now())).as(sample.utc())
                    .isEqualTo(sample.silenced());
        }

        // An alert raised inside the summer window is notified the moment the window closes, 04:00 CEST = 02:00Z.
        h.advance(Duration.between(h.scheduler.now(), Instant.parse("2027-04-10T00:10:00Z")));
        h.fire(h.alert("ServiceUnhealthy", "db", Severity.CRITICAL));
        h.advance(Duration.ofHours(3));
        assertThat(h.sent).extracting(Sent::at).containsExactly(Instant.parse("2027-04-10T02:00:00Z"));
        assertThat(h.lifecycle.silences()).singleElement().satisfies(silence -> {
            assertThat(silence.startsAt()).isEqualTo(Instant.parse("2027-04-11T00:00:00Z")); // Sun 02:00 CEST
            assertThat(silence.schedule()).contains("saturday,sunday 02:00-04:00 Europe/Berlin");
        });
    }

    @Test
    void anInhibitionRuleMutesTargetsWithTheSameEqualLabelsWhileItsSourceFires() {
        LifecycleHarness h = harness("""
                route: {groupWait: 0s, groupInterval: 1m}
                inhibitRules:
                  - sourceMatchers: [alertname=ServiceIsolated]
                    targetMatchers: [severity=warning]
                    equal: [service]
                """, "hook");
        Alert isolated = h.fire(h.alert("ServiceIsolated", "api", Severity.CRITICAL));
        h.fire(h.alert("RecoveryEscalated", "api", Severity.WARNING));
        h.fire(h.alert("RecoveryEscalated", "web", Severity.WARNING));
        h.scheduler.runDue();
        assertThat(h.sent).flatExtracting(Sent::alerts).containsExactlyInAnyOrder("ServiceIsolated/api:firing",
                "RecoveryEscalated/web:firing");
        assertThat(h.lifecycle.activeAlerts()).filteredOn(a -> a.alert().name().equals("RecoveryEscalated")
                && a.alert().serviceName().equals("api")).singleElement()
                .satisfies(a -> assertThat(a.inhibitedBy()).containsExactly(isolated.fingerprint()));

        h.advance(Duration.ofMinutes(1));
        h.resolve(isolated);
        h.advance(Duration.ofMinutes(1));

        assertThat(h.sent).flatExtracting(Sent::alerts).contains("ServiceIsolated/api:resolved",
                "RecoveryEscalated/api:firing");
    }

    @Test
    void aFiringAlertOfADependencyInhibitsItsDependentsAlertsThroughTheSameRules() {
        LifecycleHarness h = new LifecycleHarness(T0, "route: {groupWait: 0s, groupInterval: 1m}\n",
                notifiers("hook"), Map.of("api", List.of("db"), "db", List.of()), null);
        h.lifecycle.start();
        Alert db = h.fire(h.alert("ServiceUnhealthy", "db", Severity.CRITICAL));
        h.fire(h.alert("ServiceUnhealthy", "api", Severity.CRITICAL));
        h.scheduler.runDue();
        assertThat(h.sent).flatExtracting(Sent::alerts).containsExactly("ServiceUnhealthy/db:firing");
        assertThat(h.lifecycle.activeAlerts()).filteredOn(a -> a.alert().serviceName().equals("api"))
                .singleElement().satisfies(a -> assertThat(a.inhibited()).isTrue());

        h.advance(Duration.ofMinutes(1));
        h.resolve(db);
        h.advance(Duration.ofMinutes(1));

        assertThat(h.sent).flatExtracting(Sent::alerts).contains("ServiceUnhealthy/api:firing");
    }

    @Test
    void aResendNotifierGetsEveryChangeAtOnceFiringAlertsEveryIntervalAndResolvedOnesFor15Minutes() {
        LifecycleHarness h = new LifecycleHarness(T0, "route: {groupWait: 30s}\n",
                Map.of("am", Optional.of(Duration.ofMinutes(1))), Map.of(), null);
        h.lifecycle.start();
        Alert alert = h.fire(h.alert("ServiceUnhealthy", "api", Severity.CRITICAL));
        assertThat(h.sent).as("at once, not after groupWait").hasSize(1);
        h.advance(Duration.ofMinutes(3));
        assertThat(h.sent).extracting(s -> s.notification().repeat()).containsExactly(false, true, true, true);

        h.resolve(alert);
        assertThat(h.sent).last().satisfies(s -> {
            assertThat(s.alerts()).containsExactly("ServiceUnhealthy/api:resolved");
            assertThat(s.notification().repeat()).isFalse();
        });
        h.sent.clear();
        h.advance(Duration.ofMinutes(30));

        assertThat(h.sent).hasSizeBetween(15, 16).allSatisfy(s -> assertThat(s.alerts())
                .containsExactly("ServiceUnhealthy/api:resolved"));
        assertThat(h.sent).last().extracting(Sent::at).satisfies(at -> assertThat(at)
                .isBeforeOrEqualTo(h.scheduler.now().minus(Duration.ofMinutes(14))));
    }

    @Test
    void silencesApplyToAResendNotifierTooAndAResolveWhoseFiringWasNeverSentIsNotSent() {
        LifecycleHarness h = new LifecycleHarness(T0, """
                silences:
                  - {matchers: [service=db], endsAt: 2026-06-01T10:05:00Z}
                """, Map.of("am", Optional.of(Duration.ofMinutes(1))), Map.of(), null);
        h.lifecycle.start();
        Alert blip = h.fire(h.alert("ServiceUnhealthy", "db", Severity.CRITICAL));
        h.advance(Duration.ofMinutes(2));
        h.resolve(blip);
        Alert longer = h.fire(h.alert("RecoveryEscalated", "db", Severity.WARNING));
        h.advance(Duration.ofMinutes(2).plusSeconds(59));
        assertThat(h.sent).as("silenced until 10:05").isEmpty();

        h.advance(Duration.ofSeconds(1));

        assertThat(h.sent).singleElement().satisfies(s -> {
            assertThat(s.alerts()).containsExactly("RecoveryEscalated/db:firing");
            assertThat(s.notification().alerts()).containsExactly(longer);
        });
    }

    @Test
    void afterARestartAResolveOfAnAlertNotifiedBeforeIsSentAndTheFiringIsNotSentAgain(@TempDir Path state) {
        String yaml = "route: {groupWait: 10s, groupInterval: 1m}\n";
        LifecycleHarness first = new LifecycleHarness(T0, yaml, notifiers("hook"), Map.of(), state);
        first.lifecycle.restore();
        first.lifecycle.start();
        Alert notified = first.fire(first.alert("ServiceUnhealthy", "api", Severity.CRITICAL));
        first.advance(Duration.ofSeconds(10));
        assertThat(first.sent).hasSize(1);
        Alert notYet = first.fire(first.alert("ServiceUnhealthy", "web", Severity.CRITICAL));
        first.scheduler.runDue(); // the state is written at once, after the change, on the lifecycle's executor
        // aegis is killed here: no close(), nothing flushed.

        LifecycleHarness second = new LifecycleHarness(first.scheduler.now().plusSeconds(60), yaml,
                notifiers("hook"), Map.of(), state);
        List<AlertStore.Record> restored = second.lifecycle.restore();
        second.lifecycle.start();
        assertThat(restored).extracting(AlertStore.Record::alert).containsExactlyInAnyOrder(notified, notYet);
        assertThat(second.lifecycle.activeAlerts()).hasSize(2);

        second.advance(Duration.ofSeconds(10));
        assertThat(second.sent).as("only what was never notified").flatExtracting(Sent::alerts)
                .containsExactly("ServiceUnhealthy/web:firing");
        second.advance(Duration.ofMinutes(5));
        second.resolve(notified);
        second.advance(Duration.ofSeconds(10));

        assertThat(second.sent).flatExtracting(Sent::alerts).containsExactly("ServiceUnhealthy/web:firing",
                "ServiceUnhealthy/api:resolved");
    }

    @Test
    void afterARestartAnAlertNotifiedBeforeIsRepeatedAfterRepeatInterval(@TempDir Path state) {
        String yaml = "route: {groupWait: 0s, groupInterval: 1m, repeatInterval: 1h}\n";
        LifecycleHarness first = new LifecycleHarness(T0, yaml, notifiers("hook"), Map.of(), state);
        first.lifecycle.start();
        first.fire(first.alert("ServiceUnhealthy", "api", Severity.CRITICAL));
        first.advance(Duration.ofSeconds(1));
        assertThat(first.sent).hasSize(1);

        LifecycleHarness second = new LifecycleHarness(T0.plusSeconds(60), yaml, notifiers("hook"), Map.of(), state);
        second.lifecycle.restore();
        second.lifecycle.start();
        second.advance(Duration.ofMinutes(59));
        assertThat(second.sent).isEmpty();
        second.advance(Duration.ofMinutes(1));

        assertThat(second.sent).singleElement().satisfies(s -> {
            assertThat(s.alerts()).containsExactly("ServiceUnhealthy/api:firing");
            assertThat(s.notification().repeat()).isTrue();
        });
    }

    @Test
    void aResolveNotYetSentWhenAegisDiedIsSentAfterTheRestartAndRuntimeSilencesSurviveIt(@TempDir Path state) {
        String yaml = "route: {groupWait: 0s, groupInterval: 5m}\n";
        LifecycleHarness first = new LifecycleHarness(T0, yaml, notifiers("hook"), Map.of(), state);
        first.lifecycle.start();
        Alert alert = first.fire(first.alert("ServiceUnhealthy", "api", Severity.CRITICAL));
        first.scheduler.runDue();
        first.resolve(alert); // waits for groupInterval; aegis dies before
        var silence = first.lifecycle.addSilence(List.of(Matcher.equal("service", "db")), T0, T0.plus(Duration.ofDays(1)),
                "bob", "disk swap");
        first.scheduler.runDue(); // the state is written at once, after the changes, on the lifecycle's executor

        LifecycleHarness second = new LifecycleHarness(T0.plusSeconds(30), yaml, notifiers("hook"), Map.of(), state);
        assertThat(second.lifecycle.restore()).as("nothing fires").isEmpty();
        second.lifecycle.start();
        second.scheduler.runDue();

        assertThat(second.sent).flatExtracting(Sent::alerts).containsExactly("ServiceUnhealthy/api:resolved");
        assertThat(second.lifecycle.silences()).extracting(s -> s.id()).containsExactly(silence.id());
    }

    @Test
    void aServiceAddedAtRunTimeGetsTheInhibitionOfItsDependsOnAndLosesItWhenRemoved() {
        LifecycleHarness h = harness("route: {groupWait: 0s, groupInterval: 1m}\n", "hook");
        h.lifecycle.serviceAdded("api", List.of("db"));
        h.fire(h.alert("ServiceUnhealthy", "db", Severity.CRITICAL));
        h.fire(h.alert("ServiceUnhealthy", "api", Severity.CRITICAL));
        h.scheduler.runDue();
        assertThat(h.sent).flatExtracting(Sent::alerts).containsExactly("ServiceUnhealthy/db:firing");

        h.lifecycle.serviceRemoved("api");
        h.fire(h.alert("RecoveryEscalated", "api", Severity.WARNING));
        h.advance(Duration.ofMinutes(1));

        assertThat(h.sent).flatExtracting(Sent::alerts).contains("RecoveryEscalated/api:firing");
    }

    @Test
    void aResendNotifierGetsItsReSendsInChunksOf64AlertsEachWithItsOwnGroupKey() {
        LifecycleHarness h = new LifecycleHarness(T0, "", Map.of("am", Optional.of(Duration.ofMinutes(1))), Map.of(),
                null);
        h.lifecycle.start();
        for (int i = 0; i < 130; i++) {
            h.fire(h.alert("ServiceUnhealthy", "svc-" + i, Severity.CRITICAL));
        }
        h.sent.clear();

        h.advance(Duration.ofMinutes(1));

        assertThat(h.sent).extracting(s -> s.notification().alerts().size()).containsExactly(64, 64, 2);
        assertThat(h.sent).allSatisfy(s -> assertThat(s.notification().repeat()).isTrue());
        assertThat(h.sent).extracting(s -> s.notification().groupKey()).doesNotHaveDuplicates();
        assertThat(h.sent).flatExtracting(s -> s.notification().alerts()).extracting(Alert::serviceName)
                .doesNotHaveDuplicates().hasSize(130);
    }

    @Test
    void whetherAnAlertIsStandingIsTakenWhenItFiresNotWhenTheStateIsWritten(@TempDir Path state) {
        // Alerts answers for a firing alert only: by the time the state is written, the rule may have resolved it
        // there while the lifecycle has yet to learn of it.
        java.util.Set<String> standingNow = new java.util.HashSet<>();
        LifecycleHarness first = new LifecycleHarness(new io.aegis.core.internal.VirtualScheduler(T0),
                "route: {groupWait: 0s}\n", notifiers("hook"), Map.of(), state, standingNow::contains);
        first.lifecycle.start();
        Alert rule = first.alert("SlowChecks", "api", Severity.WARNING);
        standingNow.add(rule.fingerprint());
        first.fire(rule);
        standingNow.clear();
        first.scheduler.runDue();

        LifecycleHarness second = new LifecycleHarness(T0.plusSeconds(60), "route: {groupWait: 0s}\n",
                notifiers("hook"), Map.of(), state);

        assertThat(second.lifecycle.restore()).singleElement().satisfies(record -> assertThat(record.standing())
                .isTrue());
    }

    @Test
    void firingCountsCountEveryFiringAlertMutedOnesToo() {
        LifecycleHarness h = harness("""
                silences:
                  - {matchers: [service=db], startsAt: 2026-01-01T00:00:00Z, endsAt: 2027-01-01T00:00:00Z}
                """, "hook");
        h.fire(h.alert("ServiceUnhealthy", "db", Severity.CRITICAL));
        Alert api = h.fire(h.alert("ServiceUnhealthy", "api", Severity.CRITICAL));
        h.resolve(api);

        assertThat(h.lifecycle.firingCounts()).isEqualTo(Map.of(List.of("db", "ServiceUnhealthy", "critical"), 1L));
    }
}
