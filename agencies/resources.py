from import_export import resources

from agencies.models import Agency


class AgencyResource(resources.ModelResource):
    class Meta:
        model = Agency
        import_id_fields = ["code"]
        fields = ["code", "name", "short_name", "is_coordinator", "order"]
        clean_model_instances = True
        skip_unchanged = True
