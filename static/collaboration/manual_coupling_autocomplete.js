'use strict';
// Manual coupling in Django admin: "Ansvarig konsult" searches only the
// firm chosen under "Byrå" (the firm is sent along with the search; the
// server offers active consultants only and the form checks the firm again).
// Select2 names its combobox after the chosen value, which is empty at first,
// and leaves its search box unnamed: both get the field's label instead.
{
    const $ = django.jQuery;
    const labelOf = function(select) {
        const label = document.querySelector('label[for="' + select.id + '"]');
        return label ? label.textContent.trim().replace(/:$/, '') : '';
    };
    $.ajaxPrefilter(function(options) {
        if (typeof options.data !== 'string' || options.data.indexOf('field_name=responsible_consultant') === -1) {
            return;
        }
        const firm = document.getElementById('id_firm');
        if (firm && firm.value) {
            options.data += '&firm=' + encodeURIComponent(firm.value);
        }
    });
    $(document).on('select2:open', function(event) {
        const name = labelOf(event.target);
        $('.select2-container--open .select2-search__field').attr('aria-label', 'Sök ' + name.toLowerCase());
    });
    const nameSelect2 = function() {
        $('select.admin-autocomplete').each(function() {
            const container = $(this).next('.select2');
            const name = labelOf(this);
            container.find('.select2-selection').removeAttr('aria-labelledby').attr('aria-label', name);
            container.find('.select2-selection__rendered').attr('aria-label', name);
        });
    };
    $(function() {
        // After admin's autocomplete.js has made the widgets (its ready handler).
        setTimeout(nameSelect2, 0);
        $('#id_firm').on('change', function() {
            $('#id_responsible_consultant').val(null).trigger('change');
        });
    });
    $(window).on('load', nameSelect2);
}
