/** Enum values of the Temporal API (temporal.api.enums.v1) that sched-bench sends or reads, numbered as on the wire. */
export const TASK_QUEUE_KIND_NORMAL = 1;
export const TASK_QUEUE_TYPE_WORKFLOW = 1;
export const DESCRIBE_TASK_QUEUE_MODE_ENHANCED = 1;
export const HISTORY_EVENT_FILTER_TYPE_ALL_EVENT = 1;
export const HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT = 2;
export const EVENT_TYPE_WORKFLOW_TASK_FAILED = 9;
export const WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE = 3;
