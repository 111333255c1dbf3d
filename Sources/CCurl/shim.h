#include <curl/curl.h>

// curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo are variadic, which Swift
// cannot call: one typed wrapper per kind of argument.

typedef size_t (*jobdir_curl_data_callback)(char *data, size_t size, size_t count, void *context);
typedef int (*jobdir_curl_socket_callback)(CURL *easy, curl_socket_t fd, int what, void *context, void *socket_context);
typedef int (*jobdir_curl_timer_callback)(CURLM *multi, long timeout_ms, void *context);

static inline CURLcode jobdir_easy_set_long(CURL *easy, CURLoption option, long value) {
    return curl_easy_setopt(easy, option, value);
}
static inline CURLcode jobdir_easy_set_off(CURL *easy, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(easy, option, value);
}
static inline CURLcode jobdir_easy_set_pointer(CURL *easy, CURLoption option, const void *value) {
    return curl_easy_setopt(easy, option, value);
}
static inline CURLcode jobdir_easy_set_data_callback(CURL *easy, CURLoption option, jobdir_curl_data_callback callback) {
    return curl_easy_setopt(easy, option, callback);
}
static inline CURLcode jobdir_easy_get_long(CURL *easy, CURLINFO info, long *value) {
    return curl_easy_getinfo(easy, info, value);
}
static inline CURLcode jobdir_easy_get_pointer(CURL *easy, CURLINFO info, char **value) {
    return curl_easy_getinfo(easy, info, value);
}
static inline CURLMcode jobdir_multi_set_socket_callback(CURLM *multi, jobdir_curl_socket_callback callback, void *context) {
    CURLMcode code = curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, callback);
    if (code != CURLM_OK) return code;
    return curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, context);
}
static inline CURLMcode jobdir_multi_set_timer_callback(CURLM *multi, jobdir_curl_timer_callback callback, void *context) {
    CURLMcode code = curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, callback);
    if (code != CURLM_OK) return code;
    return curl_multi_setopt(multi, CURLMOPT_TIMERDATA, context);
}
