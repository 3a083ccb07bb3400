"""moto server wrapper for the ecsynth drift harness.

Usage: python e2e/moto_server.py [--host 127.0.0.1] [--port 0]

Applies small server-side patches for gaps between moto and the Terraform AWS
provider (hashicorp/aws 5.100), then serves moto on HOST:PORT. With --port 0 a
free port is chosen; the first line printed on stdout is always
`MOTO_LISTENING http://HOST:PORT`, so a caller can wait for it.
"""

import argparse
import os
import signal
import sys

# Gap: IAM managed policies (arn:aws:iam::aws:policy/...) are unknown to moto
# unless loaded, so aws_iam_role_policy_attachment fails with NoSuchEntity.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


def apply_patches() -> None:
    _patch_applicationautoscaling_tags()
    _patch_applicationautoscaling_not_found()
    _patch_ecs_create_service_fields()
    _patch_codedeploy_delete_update()
    _patch_codedeploy_alarm_configuration()
    _patch_ec2_group_rule_description()
    _patch_listener_certificates_are_inputs()
    _patch_ecs_service_without_awsvpc()
    _patch_ec2_launch_template_own_tags()
    _patch_autoscaling_unprotect_reconciles()
    _patch_classic_elb_certificates_are_inputs()
    _patch_classic_elb_instance_protocol()
    _patch_classic_elb_draining_timeout()
    _patch_autoscaling_instance_refresh()
    _patch_efs_backup_and_file_system_policy()
    _patch_codedeploy_ecs_deployments()
    _patch_ecs_update_service_deployment()


def _patch_applicationautoscaling_tags() -> None:
    # Gap: application-autoscaling has no TagResource/UntagResource/
    # ListTagsForResource (500 NotImplemented) and drops Tags passed to
    # RegisterScalableTarget, so aws_appautoscaling_target (tagged through
    # default_tags) fails to create. Keep tags per ARN on the backend.
    import json

    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse as R

    def tags_of(resp, arn):
        backend = resp.applicationautoscaling_backend
        if not hasattr(backend, "e2e_tags"):
            backend.e2e_tags = {}
        return backend.e2e_tags.setdefault(arn, {})

    original_register = R.register_scalable_target

    def register_scalable_target(self):
        body = original_register(self)
        tags = self._get_param("Tags")
        if tags:
            tags_of(self, json.loads(body)["ScalableTargetARN"]).update(tags)
        return body

    def list_tags_for_resource(self):
        return json.dumps({"Tags": tags_of(self, self._get_param("ResourceARN"))})

    def tag_resource(self):
        tags_of(self, self._get_param("ResourceARN")).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self):
        tags = tags_of(self, self._get_param("ResourceARN"))
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return "{}"

    R.register_scalable_target = register_scalable_target
    R.list_tags_for_resource = list_tags_for_resource
    R.tag_resource = tag_resource
    R.untag_resource = untag_resource


def _patch_applicationautoscaling_not_found() -> None:
    # Gap: deleting a scaling policy or deregistering a scalable target that is not there
    # answers ValidationException; AWS answers ObjectNotFoundException, which the provider
    # takes as "already deleted". Matters when the provider retries a delete whose answer it
    # lost (see main()): the retry must find the policy gone without failing the destroy.
    from moto.applicationautoscaling.models import (
        ApplicationAutoscalingBackend as B,
        FakeApplicationAutoscalingPolicy,
    )
    from moto.core.exceptions import JsonRESTError

    def not_found(message: str) -> JsonRESTError:
        return JsonRESTError("ObjectNotFoundException", message)

    original_delete_policy = B.delete_scaling_policy
    original_deregister = B.deregister_scalable_target

    def delete_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension):  # type: ignore[no-untyped-def]
        key = FakeApplicationAutoscalingPolicy.formulate_key(
            service_namespace, resource_id, scalable_dimension, policy_name
        )
        if key not in self.policies:
            raise not_found(
                f"No scaling policy found for service namespace: {service_namespace}, "
                f"resource ID: {resource_id}, scalable dimension: "
                f"{scalable_dimension}, policy name: {policy_name}"
            )
        original_delete_policy(self, policy_name, service_namespace, resource_id, scalable_dimension)

    def deregister_scalable_target(self, namespace, r_id, dimension):  # type: ignore[no-untyped-def]
        if not self._scalable_target_exists(r_id, dimension):
            raise not_found(
                f"No scalable target found for service namespace: {namespace}, "
                f"resource ID: {r_id}, scalable dimension: {dimension}"
            )
        original_deregister(self, namespace, r_id, dimension)

    B.delete_scaling_policy = delete_scaling_policy
    B.deregister_scalable_target = deregister_scalable_target


def _patch_ecs_create_service_fields() -> None:
    # Gap: ecs CreateService drops availabilityZoneRebalancing,
    # healthCheckGracePeriodSeconds, enableECSManagedTags and
    # enableExecuteCommand, so aws_ecs_service shows a perpetual diff for each
    # (availability_zone_rebalancing even when unset: provider default
    # "DISABLED"). It also drops capacityProviderStrategy, placementStrategy,
    # placementConstraints and deploymentConfiguration: perpetual diffs for
    # capacity_provider_strategy, ordered_placement_strategy,
    # placement_constraints and deployment_circuit_breaker /
    # deployment_*_percent on EC2 services. Store them the way UpdateService
    # already stores any parameter (snake_case attribute), so DescribeServices
    # returns them.
    from moto.core.utils import camelcase_to_underscores
    from moto.ecs.responses import EC2ContainerServiceResponse as R

    dropped = [
        "availabilityZoneRebalancing",
        "healthCheckGracePeriodSeconds",
        "enableECSManagedTags",
        "enableExecuteCommand",
        "capacityProviderStrategy",
        "placementStrategy",
        "placementConstraints",
        "deploymentConfiguration",
    ]
    original = R.create_service

    def create_service(self):
        result = original(self)
        service = result.result["service"]
        for field in dropped:
            value = self._get_param(field)
            if value is not None:
                setattr(service, camelcase_to_underscores(field), value)
        return result

    R.create_service = create_service


def _patch_codedeploy_delete_update() -> None:
    # Gap: codedeploy has no DeleteApplication / DeleteDeploymentGroup /
    # UpdateDeploymentGroup, so `terraform destroy` (and any in-place update
    # of aws_codedeploy_deployment_group) fails with 500 NotImplemented.
    from moto.codedeploy.responses import CodeDeployResponse as R
    from moto.core.responses import ActionResult, EmptyResult

    def delete_deployment_group(self):
        backend = self.codedeploy_backend
        app = self._get_param("applicationName")
        name = self._get_param("deploymentGroupName")
        backend.get_deployment_group(app, name)  # raises the AWS error if absent
        del backend.deployment_groups[app][name]
        backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(app, name))
        return ActionResult({"hooksNotCleanedUp": []})

    def delete_application(self):
        backend = self.codedeploy_backend
        app = self._get_param("applicationName")
        if app in backend.applications:  # AWS: deleting a missing app succeeds
            for name in backend.deployment_groups.pop(app, {}):
                backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(app, name))
            del backend.applications[app]
            backend.tagger.delete_all_tags_for_resource(backend._application_arn(app))
        return EmptyResult()

    # request field -> DeploymentGroup attribute, as in CreateDeploymentGroup
    fields = {
        "deploymentConfigName": "deployment_config_name",
        "ec2TagFilters": "ec2_tag_filters",
        "onPremisesInstanceTagFilters": "on_premises_instance_tag_filters",
        "autoScalingGroups": "auto_scaling_groups",
        "serviceRoleArn": "service_role_arn",
        "triggerConfigurations": "trigger_configurations",
        "alarmConfiguration": "alarm_configuration",
        "autoRollbackConfiguration": "auto_rollback_configuration",
        "outdatedInstancesStrategy": "outdated_instances_strategy",
        "deploymentStyle": "deployment_style",
        "blueGreenDeploymentConfiguration": "blue_green_deployment_configuration",
        "loadBalancerInfo": "load_balancer_info",
        "ec2TagSet": "ec2_tag_set",
        "ecsServices": "ecs_services",
        "onPremisesTagSet": "on_premises_tag_set",
        "terminationHookEnabled": "termination_hook_enabled",
    }

    def update_deployment_group(self):
        backend = self.codedeploy_backend
        app = self._get_param("applicationName")
        name = self._get_param("currentDeploymentGroupName")
        group = backend.get_deployment_group(app, name)
        for field, attr in fields.items():
            value = self._get_param(field)
            if value is not None:
                setattr(group, attr, value)
        new_name = self._get_param("newDeploymentGroupName")
        if new_name and new_name != name:
            backend.deployment_groups[app][new_name] = backend.deployment_groups[app].pop(name)
            group.deployment_group_name = new_name
        return ActionResult({"hooksNotCleanedUp": []})

    R.delete_deployment_group = delete_deployment_group
    R.delete_application = delete_application
    R.update_deployment_group = update_deployment_group


def _patch_codedeploy_alarm_configuration() -> None:
    # Gap: codedeploy GetDeploymentGroup always answers alarmConfiguration {}
    # although CreateDeploymentGroup stores it, so a deployment group with
    # alarm_configuration (alarm-based rollback) shows a perpetual diff.
    import moto.codedeploy.responses as responses

    original = responses._deployment_group_info

    def deployment_group_info(group):
        info = original(group)
        if isinstance(group.alarm_configuration, dict):
            info["alarmConfiguration"] = group.alarm_configuration
        return info

    responses._deployment_group_info = deployment_group_info


def _patch_ec2_group_rule_description() -> None:
    # Gap: ec2 DescribeSecurityGroupRules returns Description only for CIDR
    # rules; for a rule referencing a security group the description (kept in
    # the user-id/group pair) is dropped, so aws_vpc_security_group_*_rule
    # with referenced_security_group_id + description shows a perpetual diff.
    from moto.ec2.models.security_groups import SecurityGroupRule

    SecurityGroupRule.description = property(
        lambda self: self.ip_range.get("Description") or self.source_group.get("Description")
    )


def _patch_listener_certificates_are_inputs() -> None:
    # Gap: an HTTPS/TLS listener names an ACM certificate the stack receives as an input,
    # issued outside Terraform (like the VPC). moto only accepts certificates created in its
    # own ACM, under ARNs it generates, so CreateListener fails with CertificateNotFound and
    # the provider retries it for minutes. Treat any well-formed ACM ARN as issued.
    import re

    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend._certificate_exists
    acm_arn = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")

    def certificate_exists(self, certificate_arn: str) -> bool:  # type: ignore[no-untyped-def]
        return bool(acm_arn.match(certificate_arn)) or original(self, certificate_arn)

    ELBv2Backend._certificate_exists = certificate_exists

    # CreateListener also marks the certificate as in use in moto's ACM, which fails the same way.
    import moto.elbv2.models as elbv2_models
    from moto.elb.exceptions import CertificateNotFoundException

    register = elbv2_models.register_certificate

    def register_certificate(account_id, region, arn_certificate, arn_user):  # type: ignore[no-untyped-def]
        try:
            register(account_id, region, arn_certificate, arn_user)
        except CertificateNotFoundException:
            if not acm_arn.match(arn_certificate):
                raise

    elbv2_models.register_certificate = register_certificate


def _patch_ecs_service_without_awsvpc() -> None:
    # Gap: for a service without awsvpc (bridge/host tasks on EC2) moto stores
    # and returns networkConfiguration {}; the provider dereferences the
    # missing awsvpcConfiguration and crashes (nil pointer panic in
    # flattenNetworkConfiguration). Return no networkConfiguration instead.
    from moto.ecs.models import Service

    original = Service.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        if not self.network_configuration:
            self.network_configuration = None

    Service.__init__ = init


def _patch_ec2_launch_template_own_tags() -> None:
    # Gap: ec2 CreateLaunchTemplate copies the request's top-level TagSpecifications (the tags
    # of the launch template itself, e.g. ResourceType=launch-template from default_tags) into
    # the LaunchTemplateData of version 1, so DescribeLaunchTemplateVersions reports a
    # tag_specifications block the stack never declared: aws_launch_template shows a perpetual
    # diff (and a new version on every apply, which the ASG's launch_template.version follows).
    # Keep them on the template only, as AWS does.
    from moto.ec2.models.launch_templates import convert_tag_spec
    from moto.ec2.responses.launch_templates import LaunchTemplates as R

    original = R.create_launch_template

    def create_launch_template(self):  # type: ignore[no-untyped-def]
        declared = list(self._get_param("LaunchTemplateData", {}).get("TagSpecifications") or [])
        result = original(self)
        template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
        version = template.versions[0]
        if declared:
            version.data["TagSpecifications"] = declared
        else:
            version.data.pop("TagSpecifications", None)
        version.instance_tags = convert_tag_spec(declared).get("instance", {})
        return result

    R.create_launch_template = create_launch_template


def _patch_autoscaling_unprotect_reconciles() -> None:
    # Gap: autoscaling adjusts the instances of a group only inside the call that changes its
    # desired capacity, and skips instances protected from scale-in. AWS keeps reconciling: an
    # instance whose protection is lifted (SetInstanceProtection false) above the desired
    # capacity is terminated. The provider deletes an ASG with protect_from_scale_in exactly
    # that way (desired 0, then unprotect, then wait for 0 instances), so on moto
    # `terraform destroy` of aws_autoscaling_group waits for its 10 min timeout and fails.
    # Reconcile the group's capacity after SetInstanceProtection.
    from moto.autoscaling.models import AutoScalingBackend

    original = AutoScalingBackend.set_instance_protection

    def set_instance_protection(self, group_name, instance_ids, protected_from_scale_in):  # type: ignore[no-untyped-def]
        original(self, group_name, instance_ids, protected_from_scale_in)
        if not protected_from_scale_in:
            group = self.autoscaling_groups[group_name]
            group.set_desired_capacity(group.desired_capacity)

    AutoScalingBackend.set_instance_protection = set_instance_protection


def _exit_with_parent() -> None:
    import threading
    import time

    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _patch_classic_elb_certificates_are_inputs() -> None:
    # Gap: as for ALB/NLB listeners above, a classic ELB (aws_elb) HTTPS/SSL
    # listener's ssl_certificate_id must exist in moto's ACM, else
    # CreateLoadBalancer fails with CertificateNotFound, which the provider
    # retries for ~6 minutes. Treat any well-formed ACM ARN as issued.
    import re

    import moto.elb.models as elb_models
    from moto.elb.exceptions import CertificateNotFoundException

    acm_arn = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")
    register = elb_models.register_certificate

    def register_certificate(account_id, region, arn_certificate, arn_user):  # type: ignore[no-untyped-def]
        try:
            register(account_id, region, arn_certificate, arn_user)
        except CertificateNotFoundException:
            if not acm_arn.match(arn_certificate):
                raise

    elb_models.register_certificate = register_certificate


def _patch_classic_elb_instance_protocol() -> None:
    # Gap: elb (classic) ignores a listener's InstanceProtocol and reports the
    # front-end Protocol instead (HTTPS 443 -> HTTP 8080 reads back as HTTPS),
    # so aws_elb shows a perpetual diff on its listener set. Keep the
    # requested InstanceProtocol (upper case, as AWS answers).
    from moto.elb.models import ELBBackend, FakeListener, LoadBalancer

    FakeListener.instance_protocol = property(
        lambda self: getattr(self, "e2e_instance_protocol", None) or self.protocol
    )

    def remember(balancer, ports):  # type: ignore[no-untyped-def]
        by_port = {int(p.get("LoadBalancerPort") or p.get("load_balancer_port")): p for p in ports}
        for listener in balancer.listeners:
            port = by_port.get(int(listener.load_balancer_port))
            if port and port.get("InstanceProtocol") and not hasattr(listener, "e2e_instance_protocol"):
                listener.e2e_instance_protocol = port["InstanceProtocol"].upper()

    original_init = LoadBalancer.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        remember(self, kwargs.get("ports") or [])

    original_add = ELBBackend.create_load_balancer_listeners

    def create_load_balancer_listeners(self, name, ports):  # type: ignore[no-untyped-def]
        balancer = original_add(self, name, ports)
        if balancer:
            remember(balancer, ports)
        return balancer

    LoadBalancer.__init__ = init
    ELBBackend.create_load_balancer_listeners = create_load_balancer_listeners


def _patch_classic_elb_draining_timeout() -> None:
    # Gap: elb ModifyLoadBalancerAttributes resets the connection-draining
    # timeout to 300 whenever a request omits it (and reads only a lower-case
    # "timeout"); the provider sends the timeout, then {Enabled} alone, so
    # aws_elb connection_draining_timeout shows a perpetual diff. Keep the
    # current timeout when none is given, as AWS does.
    from moto.elb.models import ELBBackend

    original = ELBBackend.modify_load_balancer_attributes

    def modify_load_balancer_attributes(self, load_balancer_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        draining = kwargs.get("connection_draining")
        if draining:
            current = self.get_load_balancer(load_balancer_name).attributes.get("connection_draining") or {}
            kwargs["connection_draining"] = {
                "enabled": draining.get("enabled", draining.get("Enabled")),
                "timeout": draining.get("timeout", draining.get("Timeout", current.get("timeout", 300))),
            }
        return original(self, load_balancer_name, *args, **kwargs)

    ELBBackend.modify_load_balancer_attributes = modify_load_balancer_attributes


def _patch_autoscaling_instance_refresh() -> None:
    # Gap: autoscaling has no StartInstanceRefresh / DescribeInstanceRefreshes /
    # CancelInstanceRefresh (500 NotImplemented); the provider starts a refresh
    # when an aws_autoscaling_group with instance_refresh gets a new launch
    # template version, so that update fails. Record refreshes as completed.
    import uuid

    from moto.autoscaling.responses import AutoScalingResponse as R
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow

    def refreshes_of(resp, name):  # type: ignore[no-untyped-def]
        backend = resp.autoscaling_backend
        if not hasattr(backend, "e2e_refreshes"):
            backend.e2e_refreshes = {}
        return backend.e2e_refreshes.setdefault(name, [])

    def start_instance_refresh(self):  # type: ignore[no-untyped-def]
        name = self._get_param("AutoScalingGroupName")
        now = utcnow()
        refresh = {
            "InstanceRefreshId": str(uuid.uuid4()),
            "AutoScalingGroupName": name,
            "Status": "Successful",
            "StartTime": now,
            "EndTime": now,
            "PercentageComplete": 100,
            "InstancesToUpdate": 0,
        }
        refreshes_of(self, name).insert(0, refresh)
        return ActionResult({"InstanceRefreshId": refresh["InstanceRefreshId"]})

    def describe_instance_refreshes(self):  # type: ignore[no-untyped-def]
        name = self._get_param("AutoScalingGroupName")
        ids = self._get_param("InstanceRefreshIds") or []
        found = [r for r in refreshes_of(self, name) if not ids or r["InstanceRefreshId"] in ids]
        return ActionResult({"InstanceRefreshes": found})

    def cancel_instance_refresh(self):  # type: ignore[no-untyped-def]
        from moto.autoscaling.exceptions import AutoscalingClientError

        class ActiveInstanceRefreshNotFound(AutoscalingClientError):
            code = "ActiveInstanceRefreshNotFound"

        raise ActiveInstanceRefreshNotFound("No in progress or pending Instance Refresh found")

    R.start_instance_refresh = start_instance_refresh
    R.describe_instance_refreshes = describe_instance_refreshes
    R.cancel_instance_refresh = cancel_instance_refresh


def _patch_efs_backup_and_file_system_policy() -> None:
    # Gap: efs has no PutBackupPolicy (only a Backup flag at CreateFileSystem, and
    # DescribeBackupPolicy answers PolicyNotFound for a disabled policy) and no
    # DeleteFileSystemPolicy, so aws_efs_backup_policy cannot be created or
    # destroyed (destroy puts DISABLED and waits to read it) and
    # aws_efs_file_system_policy cannot be destroyed. Store the status as given
    # and return it; delete the policy.
    import json

    from moto.efs.responses import EFSResponse as R

    original_describe = R.describe_backup_policy

    def put_backup_policy(self):  # type: ignore[no-untyped-def]
        file_system_id = self._get_param("FileSystemId")
        status = (self._get_param("BackupPolicy") or {}).get("Status", "DISABLED")
        file_system = self.efs_backend.file_systems_by_id[file_system_id]
        file_system._backup = status == "ENABLED"
        file_system.e2e_backup_status = status
        return json.dumps({"BackupPolicy": {"Status": status}}), {"Content-Type": "application/json"}

    def describe_backup_policy(self):  # type: ignore[no-untyped-def]
        file_system_id = self._get_param("FileSystemId")
        file_system = self.efs_backend.file_systems_by_id.get(file_system_id)
        status = getattr(file_system, "e2e_backup_status", None)
        if status is None:
            return original_describe(self)
        return json.dumps({"BackupPolicy": {"Status": status}}), {"Content-Type": "application/json"}

    def delete_file_system_policy(self):  # type: ignore[no-untyped-def]
        file_system_id = self._get_param("FileSystemId")
        self.efs_backend.file_systems_by_id[file_system_id].file_system_policy = None
        return "{}", {"Content-Type": "application/json"}

    R.put_backup_policy = put_backup_policy
    R.describe_backup_policy = describe_backup_policy
    R.delete_file_system_policy = delete_file_system_policy


# The ECS lifecycle events of a CodeDeploy blue/green deployment, in order, and those that run
# a hook when the AppSpec names one (AWS CodeDeploy user guide, "AppSpec 'hooks' section for an
# Amazon ECS deployment").
_ECS_EVENTS = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
]
_ECS_HOOKS = {
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
}
# Faults planted through POST /_ecsynth/codedeploy/fault, taken by the next CreateDeployment.
_CODEDEPLOY_FAULTS: list = []


def _patch_codedeploy_ecs_deployments() -> None:
    # Gap: codedeploy stores an ECS deployment as `Created` forever: it never runs, has no
    # targets (no ListDeploymentTargets / BatchGetDeploymentTargets), cannot be stopped (no
    # StopDeployment), and GetDeployment answers errorInformation and rollbackInfo `{}`; so
    # `ecsynth deploy` could not follow one to its end. Here an ECS deployment runs through the
    # lifecycle events, one every ECSYNTH_MOTO_STEP_SECONDS (default 1, evaluated when asked),
    # hook events `Skipped` unless the AppSpec names a hook; at AllowTraffic the service moves to
    # the AppSpec's task definition and to the other target group of the pair, and the prod
    # listeners forward there, as CodeDeploy does. A planted fault fails the deployment at its
    # event with its message; with auto-rollback on DEPLOYMENT_FAILURE (or a StopDeployment with
    # autoRollbackEnabled) the service goes back to where it was and a rollback deployment
    # (creator `codeDeployRollback`) records it in rollbackInfo.
    # Gap: CodeDeploy publishes the deployment group's triggers (triggerConfigurations) to
    # SNS; moto stores them and sends nothing. Here each trigger whose events include
    # DeploymentStart / Success / Failure / Stop / Rollback gets CodeDeploy's message (JSON with
    # eventTriggerName, deploymentId, status, …) through moto's SNS, which delivers to the
    # topic's subscriptions (an SQS queue in the deploy e2e).
    import json
    import threading
    import time

    import yaml
    from moto.codedeploy import responses
    from moto.codedeploy.models import DeploymentInfo
    from moto.codedeploy.responses import CodeDeployResponse as R
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.ecs.models import ecs_backends
    from moto.elbv2.models import FakeAction, elbv2_backends
    from moto.sns.models import sns_backends

    step = float(os.environ.get("ECSYNTH_MOTO_STEP_SECONDS", "1"))
    lock = threading.Lock()

    def appspec(deployment):
        content = ((deployment.revision or {}).get("appSpecContent") or {}).get("content") or ""
        try:
            return yaml.safe_load(content) or {}
        except yaml.YAMLError:
            return {}

    def service_of(backend, deployment):
        ecs = (deployment.deployment_group.ecs_services or [{}])[0]
        cluster, name = ecs.get("clusterName"), ecs.get("serviceName")
        services = ecs_backends[backend.account_id][backend.region_name].services
        return cluster, name, services.get(f"{cluster}:{name}")

    def move(backend, deployment, task_definition, target_group_arn):
        """The service onto `task_definition` in `target_group_arn`; prod listeners forward there."""
        _, _, service = service_of(backend, deployment)
        if service is None:
            return
        service.task_definition = task_definition
        service.load_balancers = [dict(lb, targetGroupArn=target_group_arn) for lb in service.load_balancers]
        elbv2 = elbv2_backends[backend.account_id][backend.region_name]
        pairs = deployment.deployment_group.load_balancer_info.get("targetGroupPairInfoList") or [{}]
        for arn in (pairs[0].get("prodTrafficRoute") or {}).get("listenerArns", []):
            # As ModifyListener with only DefaultActions (moto's modify_listener also re-checks
            # an HTTPS listener's certificates, which it cannot be given here).
            actions = [FakeAction({"Type": "forward", "TargetGroupArn": target_group_arn})]
            listener = elbv2.describe_listeners(None, [arn])[0]
            listener.default_actions = actions
            listener._default_rule[0].actions = actions

    def other_target_group(backend, deployment, current_arn):
        pairs = deployment.deployment_group.load_balancer_info.get("targetGroupPairInfoList") or [{}]
        names = [tg.get("name") for tg in pairs[0].get("targetGroups", [])]
        elbv2 = elbv2_backends[backend.account_id][backend.region_name]
        arns = [tg.arn for tg in elbv2.describe_target_groups(None, [], names)]
        others = [arn for arn in arns if arn != current_arn]
        return others[0] if others else current_arn

    def notify(backend, deployment, event, status):
        group = deployment.deployment_group
        for trigger in group.trigger_configurations or []:
            if event not in (trigger.get("triggerEvents") or []):
                continue
            arn = trigger.get("triggerTargetArn") or ""
            try:
                application = deployment.application.application_name
                message = {
                    "region": backend.region_name,
                    "accountId": backend.account_id,
                    "eventTriggerName": trigger.get("triggerName"),
                    "applicationName": application,
                    "deploymentId": deployment.deployment_id,
                    "deploymentGroupName": group.deployment_group_name,
                    "createTime": str(deployment.create_time),
                    "completeTime": str(getattr(deployment, "complete_time", "") or ""),
                    "status": status,
                    # Not in CodeDeploy's message: the event, so a test tells Stop from Failure.
                    "event": event,
                }
                subject = f"{status}: AWS CodeDeploy {deployment.deployment_id} in {backend.region_name} to {application}"
                sns_backends[arn.split(":")[4]][backend.region_name].publish(
                    json.dumps(message), arn=arn, subject=subject[:100]
                )
            except Exception as error:  # noqa: BLE001 - a lost notification must not stop a deployment
                print(f"[moto_server] trigger {event} to {arn}: {error!r}", file=sys.stderr, flush=True)

    def start(backend, deployment):
        spec = appspec(deployment)
        hooks = {name for hook in spec.get("Hooks") or [] for name in hook}
        resources = spec.get("Resources") or [{}]
        target = (resources[0].get("TargetService") or {}).get("Properties") or {}
        _, _, service = service_of(backend, deployment)
        before = (
            (service.task_definition, service.load_balancers[0]["targetGroupArn"])
            if service and service.load_balancers
            else None
        )
        deployment._ecsynth = {
            "started": time.monotonic(),
            "hooks": hooks,
            "task_definition": target.get("TaskDefinition"),
            "before": before,
            "switched": False,
            "fault": _CODEDEPLOY_FAULTS.pop(0) if _CODEDEPLOY_FAULTS else None,
            "events": {event: "Pending" for event in _ECS_EVENTS},
            "diagnostics": {},
        }
        deployment.status = "InProgress"
        deployment.start_time = utcnow()
        notify(backend, deployment, "DeploymentStart", "CREATED")

    def roll_back(backend, deployment, message):
        state = deployment._ecsynth
        if state["switched"] and state["before"]:
            move(backend, deployment, *state["before"])
        rollback = DeploymentInfo(
            deployment.application,
            deployment.deployment_group,
            {},
            deployment.deployment_config_name,
            f"Rollback of {deployment.deployment_id}",
            None,
            None,
            None,
            None,
            None,
            None,
            "codeDeployRollback",
        )
        rollback.status = "Succeeded"
        rollback.start_time = rollback.complete_time = utcnow()
        backend.deployments[rollback.deployment_id] = rollback
        deployment._ecsynth["rollback"] = {
            "rollbackDeploymentId": rollback.deployment_id,
            "rollbackMessage": message,
        }
        notify(backend, deployment, "DeploymentRollback", "ROLLEDBACK")

    def auto_rollback_on_failure(deployment):
        config = deployment.deployment_group.auto_rollback_configuration or {}
        return bool(config.get("enabled")) and "DEPLOYMENT_FAILURE" in (config.get("events") or [])

    def advance(backend, deployment):
        if deployment.application.compute_platform != "ECS" or deployment.status in (
            "Succeeded",
            "Failed",
            "Stopped",
        ):
            return
        if deployment.creator == "codeDeployRollback":
            return
        if not hasattr(deployment, "_ecsynth"):
            start(backend, deployment)
        state = deployment._ecsynth
        done = int((time.monotonic() - state["started"]) / step) if step > 0 else len(_ECS_EVENTS)
        fault = state["fault"]
        for index, event in enumerate(_ECS_EVENTS):
            if state["events"][event] in ("Succeeded", "Skipped"):
                continue
            if index > done:
                break
            if index == done:
                state["events"][event] = "InProgress"
                break
            if fault and fault.get("event") == event:
                state["events"][event] = "Failed"
                state["diagnostics"][event] = {
                    "errorCode": fault.get("lifecycleErrorCode", "ScriptFailed"),
                    "message": fault.get("message", "failed"),
                }
                deployment.status = "Failed"
                deployment.complete_time = utcnow()
                state["error"] = {
                    "code": fault.get("code", "ECS_UPDATE_ERROR"),
                    "message": fault.get("message", "failed"),
                }
                notify(backend, deployment, "DeploymentFailure", "FAILED")
                if auto_rollback_on_failure(deployment):
                    roll_back(backend, deployment, "Deployment failed: rolled back to the previous version")
                return
            skipped = event in _ECS_HOOKS and event not in state["hooks"]
            state["events"][event] = "Skipped" if skipped else "Succeeded"
            if event == "AllowTraffic" and state["before"] and not state["switched"]:
                move(
                    backend,
                    deployment,
                    state["task_definition"],
                    other_target_group(backend, deployment, state["before"][1]),
                )
                state["switched"] = True
        if all(status in ("Succeeded", "Skipped") for status in state["events"].values()):
            deployment.status = "Succeeded"
            deployment.complete_time = utcnow()
            notify(backend, deployment, "DeploymentSuccess", "SUCCEEDED")

    def advance_all(backend):
        with lock:
            for deployment in list(backend.deployments.values()):
                advance(backend, deployment)

    original_info = responses._deployment_info

    def deployment_info(deployment):
        info = original_info(deployment)
        state = getattr(deployment, "_ecsynth", None)
        if state:
            if state.get("error"):
                info["errorInformation"] = state["error"]
            if state.get("rollback"):
                info["rollbackInfo"] = state["rollback"]
        return info

    responses._deployment_info = deployment_info

    def wrap(name):
        original = getattr(R, name)

        def wrapped(self):
            advance_all(self.codedeploy_backend)
            return original(self)

        setattr(R, name, wrapped)

    for name in ("get_deployment", "batch_get_deployments", "list_deployments"):
        wrap(name)

    def ecs_target(backend, deployment):
        cluster, name, _ = service_of(backend, deployment)
        state = getattr(deployment, "_ecsynth", None) or {"events": {}, "diagnostics": {}, "switched": False}
        events = []
        for event in _ECS_EVENTS:
            entry = {"lifecycleEventName": event, "status": state["events"].get(event, "Pending")}
            if event in state["diagnostics"]:
                entry["diagnostics"] = state["diagnostics"][event]
            events.append(entry)
        green = 100.0 if state["switched"] and not state.get("rollback") else 0.0
        status = {
            "InProgress": "InProgress",
            "Succeeded": "Succeeded",
            "Failed": "Failed",
            "Stopped": "Failed",
        }
        return {
            "deploymentId": deployment.deployment_id,
            "targetId": f"{cluster}:{name}",
            "targetArn": f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:service/{cluster}/{name}",
            "lastUpdatedAt": utcnow(),
            "lifecycleEvents": events,
            "status": status.get(deployment.status, "Pending"),
            "taskSetsInfo": [
                {
                    "identifer": "ecs-svc/blue",
                    "taskSetLabel": "Blue",
                    "trafficWeight": 100.0 - green,
                    "status": "PRIMARY" if green == 0 else "ACTIVE",
                },
                {
                    "identifer": "ecs-svc/green",
                    "taskSetLabel": "Green",
                    "trafficWeight": green,
                    "status": "ACTIVE" if green == 0 else "PRIMARY",
                },
            ],
        }

    def list_deployment_targets(self):
        backend = self.codedeploy_backend
        advance_all(backend)
        deployment = backend.get_deployment(self._get_param("deploymentId"))
        cluster, name, _ = service_of(backend, deployment)
        ids = [f"{cluster}:{name}"] if deployment.application.compute_platform == "ECS" else []
        return ActionResult({"targetIds": ids})

    def batch_get_deployment_targets(self):
        backend = self.codedeploy_backend
        advance_all(backend)
        deployment = backend.get_deployment(self._get_param("deploymentId"))
        targets = [{"deploymentTargetType": "ECSTarget", "ecsTarget": ecs_target(backend, deployment)}]
        return ActionResult({"deploymentTargets": targets})

    def stop_deployment(self):
        backend = self.codedeploy_backend
        advance_all(backend)
        deployment = backend.get_deployment(self._get_param("deploymentId"))
        if deployment.status in ("Succeeded", "Failed", "Stopped"):
            return ActionResult(
                {"status": "Succeeded", "statusMessage": "The deployment has already completed"}
            )
        with lock:
            if not hasattr(deployment, "_ecsynth"):
                start(backend, deployment)
            deployment.status = "Stopped"
            deployment.complete_time = utcnow()
            deployment._ecsynth["error"] = {
                "code": "DEPLOYMENT_STOPPED",
                "message": "The deployment was stopped by a user",
            }
            notify(backend, deployment, "DeploymentStop", "STOPPED")
            if self._get_bool_param("autoRollbackEnabled"):
                roll_back(
                    backend, deployment, "Deployment stopped by a user: rolled back to the previous version"
                )
        return ActionResult({"status": "Pending", "statusMessage": "Stopping the deployment"})

    R.list_deployment_targets = list_deployment_targets
    R.batch_get_deployment_targets = batch_get_deployment_targets
    R.stop_deployment = stop_deployment


def _codedeploy_faults(app):  # type: ignore[no-untyped-def]
    """POST /_ecsynth/codedeploy/fault with a JSON body {"event": "...", "message": "...",
    "code": "...", "lifecycleErrorCode": "..."}: the next CodeDeploy deployment fails at that
    lifecycle event (see _patch_codedeploy_ecs_deployments). Not an AWS API: the deploy e2e's
    way to make a deployment fail, as a failing hook or unhealthy targets would."""
    import json

    def routed(environ, start_response):  # type: ignore[no-untyped-def]
        if (
            environ.get("PATH_INFO") == "/_ecsynth/codedeploy/fault"
            and environ.get("REQUEST_METHOD") == "POST"
        ):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            _CODEDEPLOY_FAULTS.append(json.loads(environ["wsgi.input"].read(length) or b"{}"))
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"{}"]
        return app(environ, start_response)

    return routed


def _patch_ecs_update_service_deployment() -> None:
    # Gap: ecs UpdateService with a new task definition changes the service's taskDefinition
    # but keeps the old PRIMARY deployment (still naming the old revision), where ECS starts a
    # new PRIMARY deployment for the new revision; a rolling `ecsynth deploy` follows that
    # deployment. Here the new deployment replaces the old one, completed at once (moto runs no
    # tasks to wait for).
    from moto.core.utils import utcnow
    from moto.ecs.models import EC2ContainerServiceBackend as B
    from moto.moto_api._internal import mock_random

    original = B.update_service

    def update_service(self, service_properties):
        new = service_properties.get("task_definition")
        service = original(self, service_properties)
        if new and service.deployment_controller.get("type", "ECS") == "ECS" and service.deployments:
            deployment = dict(service.deployments[0])
            deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
            deployment.update(
                {
                    "id": deployment_id,
                    "taskDefinition": service.task_definition,
                    "createdAt": utcnow(),
                    "updatedAt": utcnow(),
                    "rolloutState": "COMPLETED",
                    "rolloutStateReason": f"ECS deployment {deployment_id} completed.",
                }
            )
            service.deployments = [deployment]
        return service

    B.update_service = update_service


def _access_log(app):  # type: ignore[no-untyped-def]
    """One line per request on stderr (the log file; stdout is the caller's pipe, read only for
    MOTO_LISTENING), `"METHOD path operation" status -`, where the operation
    is the X-Amz-Target header or the Action form field: what a failing step needs to see."""
    import io
    import threading
    import time
    from urllib.parse import parse_qs

    lock = threading.Lock()

    def logged(environ, start_response):  # type: ignore[no-untyped-def]
        operation = environ.get("HTTP_X_AMZ_TARGET", "")
        if not operation and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            action = parse_qs(body.decode("utf-8", "replace")).get("Action")
            operation = action[0] if action else ""

        def start(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
            stamp = time.strftime("%d/%b/%Y %H:%M:%S")
            path = environ.get("PATH_INFO", "")
            line = (
                f'127.0.0.1 - - [{stamp}] "{environ.get("REQUEST_METHOD")} {path} {operation}" '
                f"{status.split()[0]} -\n"
            )
            with lock:
                sys.stderr.write(line)
                sys.stderr.flush()
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return logged


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="exit when the parent process goes away (no orphaned servers if the caller is killed)",
    )
    args = parser.parse_args(argv)
    if args.exit_with_parent:
        _exit_with_parent()

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from waitress.server import create_server

    apply_patches()
    # Stability, not an API gap: werkzeug's threaded dev server, with keep-alive and later
    # with one request per connection (HTTP/1.0), left the provider with sporadic "read tcp
    # ...: use of closed network connection" while it read a 200 response; it then retried a
    # delete that had happened. waitress is a production WSGI server with proper HTTP/1.1
    # keep-alive; the threads cover the provider's parallel requests (10 by default).
    app = _access_log(_codedeploy_faults(DomainDispatcherApplication(create_backend_app)))
    server = create_server(app, host=args.host, port=args.port, threads=16, ident="moto")
    port = server.effective_port
    os.environ["MOTO_PORT"] = str(port)  # moto builds some URLs from it

    def stop(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"MOTO_LISTENING http://{args.host}:{port}", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
