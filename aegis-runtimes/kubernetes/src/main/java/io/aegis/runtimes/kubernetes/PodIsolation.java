package io.aegis.runtimes.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Which labels to take off a pod so that no Service sends it traffic and its ReplicaSet lets it go, and the JSON
 * patch that does it. A JSON patch ({@code test} then {@code remove}) rather than a merge patch with {@code null}:
 * it fails instead of clobbering a label someone changed meanwhile, and the fabric8 mock used in the tests does not
 * delete on {@code null}.
 */
final class PodIsolation {

    /**
     * The labels to remove, and why.
     *
     * @param removed the labels and the values the pod had
     * @param because which Services selected the pod (or that none did), for the log
     */
    record Plan(Map<String, String> removed, String because) {
    }

    private PodIsolation() {
    }

    /**
     * For every Service in the namespace whose selector matches the pod, one of its selector's labels: one the
     * workload's selector also uses where there is one (the ReplicaSet then releases the pod and starts a
     * replacement), else its first. Without any such Service, the first label of the workload's selector, so that at
     * least the ReplicaSet replaces the pod.
     */
    static Plan plan(Pod pod, List<Service> services, Map<String, String> workloadSelector) {
        Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
        Map<String, String> removed = new LinkedHashMap<>();
        List<String> selecting = new ArrayList<>();
        for (Service service : services) {
            Map<String, String> selector = service.getSpec() == null ? null : service.getSpec().getSelector();
            if (selector == null || selector.isEmpty() || !matches(selector, labels)) {
                continue;
            }
            selecting.add(service.getMetadata().getName());
            if (selector.keySet().stream().anyMatch(removed::containsKey)) {
                continue; // already out of this one
            }
            String key = selector.keySet().stream().filter(workloadSelector::containsKey).findFirst()
                    .orElse(selector.keySet().iterator().next());
            removed.put(key, labels.get(key));
        }
        if (selecting.isEmpty()) {
            String key = workloadSelector.keySet().stream().filter(labels::containsKey).findFirst().orElse(null);
            if (key == null) {
                return new Plan(Map.of(), "no Service selects it and it carries none of the workload's selector"
                        + " labels");
            }
            removed.put(key, labels.get(key));
            return new Plan(removed, "no Service selects it; out of its workload's selector");
        }
        return new Plan(removed, "selected by Service" + (selecting.size() == 1 ? " " : "s ")
                + String.join(", ", selecting));
    }

    private static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    /**
     * The JSON patch: {@code test} and {@code remove} each label of the plan, add the {@code aegis.io/isolated=true}
     * label, and record the removed labels and the time in annotations (to put the pod back by hand).
     */
    static List<Map<String, Object>> patch(Pod pod, Plan plan, Instant now) {
        List<Map<String, Object>> ops = new ArrayList<>();
        plan.removed().forEach((key, value) -> {
            String path = "/metadata/labels/" + KubernetesRuntime.escape(key);
            ops.add(KubernetesRuntime.op("test", path, value));
            ops.add(KubernetesRuntime.remove(path));
        });
        if (pod.getMetadata().getLabels() == null || pod.getMetadata().getLabels().isEmpty()) {
            ops.add(KubernetesRuntime.op("add", "/metadata/labels", Map.of(PodHealth.ISOLATED_LABEL, "true")));
        } else {
            ops.add(KubernetesRuntime.op("add",
                    "/metadata/labels/" + KubernetesRuntime.escape(PodHealth.ISOLATED_LABEL), "true"));
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(KubernetesRuntime.ISOLATED_LABELS_ANNOTATION, plan.removed().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",")));
        annotations.put(KubernetesRuntime.ISOLATED_AT_ANNOTATION, now.toString());
        ops.addAll(KubernetesRuntime.annotate(pod.getMetadata(), annotations));
        return ops;
    }
}
