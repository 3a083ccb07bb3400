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
    _patch_ecs_availability_zone_rebalancing()
    _patch_codedeploy_delete_update()


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


def _patch_ecs_availability_zone_rebalancing() -> None:
    # Gap: ecs CreateService drops availabilityZoneRebalancing, so
    # aws_ecs_service (provider default "DISABLED") shows a perpetual diff.
    # Keep the value on the service; DescribeServices then returns it
    # (UpdateService already stores any parameter it is given).
    from moto.ecs.responses import EC2ContainerServiceResponse as R

    original = R.create_service

    def create_service(self):
        result = original(self)
        value = self._get_param("availabilityZoneRebalancing")
        if value is not None:
            result.result["service"].availability_zone_rebalancing = value
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    from werkzeug.serving import make_server
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    apply_patches()
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    port = server.server_port
    os.environ["MOTO_PORT"] = str(port)  # moto builds some URLs from it

    def stop(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"MOTO_LISTENING http://{args.host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
