package io.aegis.runtimes.kubernetes;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code kubectl rollout undo} for a Deployment (kubectl {@code pkg/polymorphichelpers/rollback.go}): the history is
 * the ReplicaSets the Deployment controls (an owner reference with {@code controller: true} and the Deployment's
 * UID, not merely matching labels), ordered by their {@code deployment.kubernetes.io/revision}; the target's pod
 * template, without its {@code pod-template-hash} label, replaces the Deployment's, and its annotations replace the
 * Deployment's except those kubectl keeps. One difference: aegis prefers the revision it last saw healthy.
 */
final class RolloutHistory {

    static final String REVISION = "deployment.kubernetes.io/revision";
    static final String HASH_LABEL = "pod-template-hash";

    /** The Deployment annotations a rollback keeps (kubectl's {@code annotationsToSkip}). */
    private static final Set<String> KEPT = Set.of("kubectl.kubernetes.io/last-applied-configuration", REVISION,
            "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
            "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to");

    /**
     * What to roll back to.
     *
     * @param replicaSet the ReplicaSet whose template comes back
     * @param revision its revision
     * @param why how it was chosen, for the log
     */
    record Choice(ReplicaSet replicaSet, long revision, String why) {
    }

    private RolloutHistory() {
    }

    /** The revision of a ReplicaSet or Deployment; 0 without the annotation, as kubectl counts it. */
    static long revision(ObjectMeta meta) {
        String value = meta.getAnnotations() == null ? null : meta.getAnnotations().get(REVISION);
        if (value == null) {
            return 0;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The ReplicaSets of {@code replicaSets} that {@code deployment} controls, by owner reference and UID. */
    static List<ReplicaSet> owned(Deployment deployment, List<ReplicaSet> replicaSets) {
        String uid = deployment.getMetadata().getUid();
        return replicaSets.stream().filter(rs -> rs.getMetadata().getOwnerReferences() != null
                && rs.getMetadata().getOwnerReferences().stream().anyMatch(owner -> controls(owner, uid)))
                .sorted(Comparator.comparingLong((ReplicaSet rs) -> revision(rs.getMetadata())).reversed())
                .toList();
    }

    private static boolean controls(OwnerReference owner, String uid) {
        return Boolean.TRUE.equals(owner.getController()) && uid != null && uid.equals(owner.getUid());
    }

    /**
     * The revision to go back to: {@code lastHealthy} when aegis recorded one that differs from the newest revision
     * and is still in the history; else kubectl's choice, the second-highest revision. Empty when there is none.
     *
     * @param owned the Deployment's ReplicaSets, newest first ({@link #owned})
     */
    static Optional<Choice> choose(List<ReplicaSet> owned, Optional<Long> lastHealthy) {
        if (owned.isEmpty()) {
            return Optional.empty();
        }
        long newest = revision(owned.get(0).getMetadata());
        if (lastHealthy.isPresent() && lastHealthy.get() != newest) {
            Optional<ReplicaSet> healthy = owned.stream()
                    .filter(rs -> revision(rs.getMetadata()) == lastHealthy.get()).findFirst();
            if (healthy.isPresent()) {
                return Optional.of(new Choice(healthy.get(), lastHealthy.get(), "the revision aegis last saw healthy"));
            }
        }
        if (owned.size() < 2) {
            return Optional.empty();
        }
        return Optional.of(new Choice(owned.get(1), revision(owned.get(1).getMetadata()), "the previous revision"));
    }

    /** The ReplicaSet's pod template without the {@code pod-template-hash} label. */
    static PodTemplateSpec templateWithoutHash(ReplicaSet replicaSet) {
        PodTemplateSpec template = new PodTemplateSpecBuilder(replicaSet.getSpec().getTemplate()).build();
        if (template.getMetadata() != null && template.getMetadata().getLabels() != null) {
            Map<String, String> labels = new LinkedHashMap<>(template.getMetadata().getLabels());
            labels.remove(HASH_LABEL);
            template.getMetadata().setLabels(labels);
        }
        return template;
    }

    /** Whether the Deployment already runs that template, the hash label aside. */
    static boolean sameTemplate(Deployment deployment, PodTemplateSpec template) {
        PodTemplateSpec current = new PodTemplateSpecBuilder(deployment.getSpec().getTemplate()).build();
        if (current.getMetadata() != null && current.getMetadata().getLabels() != null) {
            Map<String, String> labels = new LinkedHashMap<>(current.getMetadata().getLabels());
            labels.remove(HASH_LABEL);
            current.getMetadata().setLabels(labels);
        }
        return current.equals(template);
    }

    /** The Deployment's annotations after the rollback: its own kept ones, and every other one from the ReplicaSet. */
    static Map<String, String> annotations(Deployment deployment, ReplicaSet target) {
        Map<String, String> result = new LinkedHashMap<>();
        Map<String, String> own = Optional.ofNullable(deployment.getMetadata().getAnnotations()).orElse(Map.of());
        own.forEach((key, value) -> {
            if (KEPT.contains(key)) {
                result.put(key, value);
            }
        });
        Optional.ofNullable(target.getMetadata().getAnnotations()).orElse(Map.of()).forEach((key, value) -> {
            if (!KEPT.contains(key)) {
                result.put(key, value);
            }
        });
        return result;
    }

    /** The revisions in the history, newest first, for messages: {@code 3, 2, 1}. */
    static String revisions(List<ReplicaSet> owned) {
        return owned.stream().map(rs -> String.valueOf(revision(rs.getMetadata()))).collect(Collectors.joining(", "));
    }
}
