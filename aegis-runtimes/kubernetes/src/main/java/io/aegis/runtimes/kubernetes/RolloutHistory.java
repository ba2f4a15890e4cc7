package io.aegis.runtimes.kubernetes;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * {@code kubectl rollout undo} for a Deployment (kubectl {@code pkg/polymorphichelpers/rollback.go}): the history is
 * the ReplicaSets the Deployment controls (an owner reference with {@code controller: true} and the Deployment's
 * UID, not merely matching labels), ordered by their {@code deployment.kubernetes.io/revision}; the target's pod
 * template, without its {@code pod-template-hash} label, replaces the Deployment's, and its annotations replace the
 * Deployment's except those kubectl keeps. One difference: aegis prefers the revision it last saw healthy.
 *
 * <p>For a StatefulSet the history is its ControllerRevisions (kubectl's {@code StatefulSetRollbacker}), whose data
 * is the patch {@code {"spec":{"template":{..., "$patch":"replace"}}}}; aegis sends the template in it as a JSON
 * patch replacing {@code /spec/template}, which is what that strategic-merge patch does.
 */
final class RolloutHistory {

    static final String REVISION = "deployment.kubernetes.io/revision";
    static final String HASH_LABEL = "pod-template-hash";
    static final String REVISION_HISTORY = "deployment.kubernetes.io/revision-history";

    /** The Deployment annotations a rollback keeps (kubectl's {@code annotationsToSkip}). */
    private static final Set<String> KEPT = Set.of("kubectl.kubernetes.io/last-applied-configuration", REVISION,
            REVISION_HISTORY, "deployment.kubernetes.io/desired-replicas",
            "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to");

    /**
     * One entry of the history.
     *
     * @param name the ReplicaSet or ControllerRevision
     * @param number its revision
     * @param template its pod template (for a ReplicaSet without the {@code pod-template-hash} label)
     * @param annotations its annotations (a ReplicaSet's go to the Deployment on rollback)
     */
    record Revision(String name, long number, PodTemplateSpec template, Map<String, String> annotations) {
    }

    /**
     * What to roll back to.
     *
     * @param revision the entry whose template comes back
     * @param why how it was chosen, for the log
     */
    record Choice(Revision revision, String why) {
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

    /**
     * Whether the ReplicaSet {@code revision} is, or once was, revision {@code number}: a rollback (or a redeploy of an
     * earlier template) gives the old ReplicaSet the next revision number and keeps its earlier ones in
     * {@code deployment.kubernetes.io/revision-history} ({@code "1,3"}).
     */
    static boolean wasRevision(Revision revision, String number) {
        if (number == null) {
            return false;
        }
        if (String.valueOf(revision.number()).equals(number)) {
            return true;
        }
        String history = revision.annotations().get(REVISION_HISTORY);
        return history != null && java.util.Arrays.stream(history.split(",")).map(String::trim)
                .anyMatch(number::equals);
    }

    /** The ReplicaSets of {@code replicaSets} that {@code deployment} controls, newest first. */
    static List<Revision> owned(Deployment deployment, List<ReplicaSet> replicaSets) {
        String uid = deployment.getMetadata().getUid();
        return replicaSets.stream().filter(rs -> controlledBy(rs.getMetadata(), uid))
                .map(rs -> new Revision(rs.getMetadata().getName(), revision(rs.getMetadata()), templateWithoutHash(rs),
                        Optional.ofNullable(rs.getMetadata().getAnnotations()).orElse(Map.of())))
                .sorted(Comparator.comparingLong(Revision::number).reversed())
                .toList();
    }

    /** The ControllerRevisions of {@code revisions} that {@code set} controls, newest first. */
    static List<Revision> owned(StatefulSet set, List<ControllerRevision> revisions,
            KubernetesSerialization serialization) {
        String uid = set.getMetadata().getUid();
        return revisions.stream().filter(cr -> controlledBy(cr.getMetadata(), uid))
                .map(cr -> new Revision(cr.getMetadata().getName(), cr.getRevision() == null ? 0 : cr.getRevision(),
                        template(cr, serialization), Map.of()))
                .filter(r -> r.template() != null)
                .sorted(Comparator.comparingLong(Revision::number).reversed())
                .toList();
    }

    /** The pod template a ControllerRevision recorded; null when its data has none. */
    @SuppressWarnings("unchecked")
    private static PodTemplateSpec template(ControllerRevision revision, KubernetesSerialization serialization) {
        Object data = revision.getData();
        Map<String, Object> map = data instanceof Map ? (Map<String, Object>) data
                : data == null ? null : serialization.convertValue(data, Map.class);
        Object spec = map == null ? null : map.get("spec");
        Object template = spec instanceof Map ? ((Map<String, Object>) spec).get("template") : null;
        if (!(template instanceof Map)) {
            return null;
        }
        Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) template);
        copy.remove("$patch");
        return serialization.convertValue(copy, PodTemplateSpec.class);
    }

    private static boolean controlledBy(ObjectMeta meta, String uid) {
        return meta.getOwnerReferences() != null
                && meta.getOwnerReferences().stream().anyMatch(owner -> controls(owner, uid));
    }

    private static boolean controls(OwnerReference owner, String uid) {
        return Boolean.TRUE.equals(owner.getController()) && uid != null && uid.equals(owner.getUid());
    }

    /**
     * The revision to go back to: the one aegis last saw healthy ({@code lastHealthy}) when it differs from the newest
     * and is still in the history; else kubectl's choice, the second newest. Empty when there is none.
     *
     * @param owned the history, newest first ({@link #owned})
     */
    static Optional<Choice> choose(List<Revision> owned, Predicate<Revision> lastHealthy) {
        if (owned.isEmpty()) {
            return Optional.empty();
        }
        if (!lastHealthy.test(owned.get(0))) {
            Optional<Revision> healthy = owned.stream().skip(1).filter(lastHealthy).findFirst();
            if (healthy.isPresent()) {
                return Optional.of(new Choice(healthy.get(), "the revision aegis last saw healthy"));
            }
        }
        if (owned.size() < 2) {
            return Optional.empty();
        }
        return Optional.of(new Choice(owned.get(1), "the previous revision"));
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

    /** Whether the workload already runs that template, the hash label aside. */
    static boolean sameTemplate(PodTemplateSpec running, PodTemplateSpec template) {
        PodTemplateSpec current = new PodTemplateSpecBuilder(running).build();
        if (current.getMetadata() != null && current.getMetadata().getLabels() != null) {
            Map<String, String> labels = new LinkedHashMap<>(current.getMetadata().getLabels());
            labels.remove(HASH_LABEL);
            current.getMetadata().setLabels(labels);
        }
        return current.equals(template);
    }

    /** The Deployment's annotations after the rollback: its own kept ones, and every other one from the ReplicaSet. */
    static Map<String, String> annotations(Deployment deployment, Revision target) {
        Map<String, String> result = new LinkedHashMap<>();
        Map<String, String> own = Optional.ofNullable(deployment.getMetadata().getAnnotations()).orElse(Map.of());
        own.forEach((key, value) -> {
            if (KEPT.contains(key)) {
                result.put(key, value);
            }
        });
        target.annotations().forEach((key, value) -> {
            if (!KEPT.contains(key)) {
                result.put(key, value);
            }
        });
        return result;
    }

    /** The revisions in the history, newest first, for messages: {@code 3, 2, 1}. */
    static String revisions(List<Revision> owned) {
        return owned.stream().map(r -> String.valueOf(r.number())).collect(Collectors.joining(", "));
    }
}
