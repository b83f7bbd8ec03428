'use strict';
// Manual coupling in Django admin: "Ansvarig konsult" searches only the
// firm chosen under "Byrå" (the firm is sent along with the search; the
// server offers active consultants only and the form checks the firm again).
{
    const $ = django.jQuery;
    $.ajaxPrefilter(function(options) {
        if (typeof options.data !== 'string' || options.data.indexOf('field_name=responsible_consultant') === -1) {
            return;
        }
        const firm = document.getElementById('id_firm');
        if (firm && firm.value) {
            options.data += '&firm=' + encodeURIComponent(firm.value);
        }
    });
    $(function() {
        $('#id_firm').on('change', function() {
            $('#id_responsible_consultant').val(null).trigger('change');
        });
    });
}
